package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// StdoutPath is the report path that means standard output. The report
// package never writes to it: the command that owns the process's streams
// does (WriteFileAtomic refuses it).
const StdoutPath = "-"

// outputKind is how a report is written to a path.
type outputKind int

const (
	// atomicFile: a regular file or a new one, replaced through a
	// temporary file and a rename.
	atomicFile outputKind = iota
	// writeThrough: a character device or a FIFO (or a file behind
	// /dev/stdout), opened and written in place; renaming over it would
	// replace the device node, the FIFO or the link.
	writeThrough
)

// resolveOutput says how to write a report at path, and where: a symlink is
// followed to its target (the target is written, the link kept), a device
// or FIFO is written through, and every other kind is refused with what to
// give instead.
func resolveOutput(path string) (dest string, kind outputKind, err error) {
	if path == StdoutPath {
		return "", 0, errors.New(`"-" (standard output) is written by the command, not as a file`)
	}
	info, err := os.Stat(path) // follows symlinks
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dest, err := followLinks(path)
		return dest, atomicFile, err
	case err != nil:
		return "", 0, fmt.Errorf("cannot write the report to %s: %w", path, unwrapPath(err))
	}
	mode := info.Mode()
	switch {
	case mode.IsRegular():
		if underProcOrDev(path) {
			// /dev/stdout redirected to a file, /proc/self/fd/N: the
			// file is someone's open descriptor, not ours to replace.
			return path, writeThrough, nil
		}
		dest, err := filepath.EvalSymlinks(path)
		return dest, atomicFile, err
	case mode&fs.ModeCharDevice != 0, mode&fs.ModeNamedPipe != 0:
		return path, writeThrough, nil
	case mode.IsDir():
		return "", 0, fmt.Errorf("%s is a directory: give a file name such as %s", path, filepath.Join(path, "report.json"))
	}
	return "", 0, fmt.Errorf("%s is a %s, not a file: give a regular file, a FIFO, a character device, or - for standard output", path, kindName(mode))
}

func kindName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "block device"
	}
	return "special file (" + m.Type().String() + ")"
}

func underProcOrDev(path string) bool {
	abs, err := filepath.Abs(path)
	return err == nil && (strings.HasPrefix(abs, "/proc/") || strings.HasPrefix(abs, "/dev/"))
}

// followLinks resolves a chain of symlinks that ends at a file that does not
// exist yet (a dangling link), so that the file is created where the link
// points and the link itself stays.
func followLinks(path string) (string, error) {
	for range 40 { // as the kernel's own limit on a chain of links
		target, err := os.Readlink(path)
		if err != nil {
			return path, nil // not a link: the path itself
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", fmt.Errorf("cannot write the report to %s: too many levels of symbolic links", path)
}

// CheckWritable makes sure a report can be written at path before a run
// starts, so that a long run is never lost to a bad path: a new or regular
// file's directory must take a new file; a device or FIFO must be open to
// writing; other kinds (directories, sockets) are refused. "-" (standard
// output) is always writable.
func CheckWritable(path string) error {
	if path == StdoutPath {
		return nil
	}
	dest, kind, err := resolveOutput(path)
	if err != nil {
		return err
	}
	if kind == writeThrough {
		if err := writable(dest); err != nil {
			return fmt.Errorf("cannot write the report to %s: %w", path, err)
		}
		return nil
	}
	dir := filepath.Dir(dest)
	f, err := os.CreateTemp(dir, ".sockload-check-*")
	if err != nil {
		return fmt.Errorf("cannot write the report to %s: %w (%s)", path, unwrapPath(err), dirAdvice(dir))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// dirAdvice says what to do about a directory that did not take a new file.
func dirAdvice(dir string) string {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "create the directory or choose another path"
	case err == nil && !info.IsDir():
		return dir + " is not a directory; choose another path"
	}
	return dir + " exists but does not take new files (permissions, or a special file system): choose another directory"
}

// WriteFileAtomic writes a report to path. A regular file, or one that does
// not exist yet, is written through a temporary file and a rename, so a
// reader never sees a half-written report and an interrupted write leaves
// the old file whole; a symlink's target is written so, the link kept. A
// character device or FIFO is written in place (a FIFO nobody reads is an
// error, not a hang). Other kinds, and "-", are refused.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	dest, kind, err := resolveOutput(path)
	if err != nil {
		return err
	}
	if kind == atomicFile {
		return writeAtomic(dest, write)
	}
	return writeInPlace(dest, write)
}

func writeInPlace(path string, write func(io.Writer) error) error {
	// O_NONBLOCK: opening a FIFO nobody reads fails at once (ENXIO)
	// rather than waiting for a reader forever; writes still wait for it
	// to take the data.
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ENXIO) {
		return fmt.Errorf("writing %s: nothing reads this FIFO; start its reader first", path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// EncodeJSON writes the report as indented JSON to w (what WriteJSON puts
// in its file).
func (r *Report) EncodeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
