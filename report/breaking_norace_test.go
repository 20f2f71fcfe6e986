//go:build !race

package report

// raceDetector is true in a build with the race detector, which slows every
// exchange of a load test several times over.
const raceDetector = false
