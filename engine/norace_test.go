//go:build !race

package engine

// raceDetector is true in a build with the race detector, which slows the
// generator's every read several times over: no timing comparison holds.
const raceDetector = false
