package report

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

func writeHello(w io.Writer) error {
	_, err := io.WriteString(w, "hello report\n")
	return err
}

// TestWriteFileAtomicKeepsWhatThePathIs: a report never replaces what its
// path names: a FIFO and a terminal are written through, a symlink's target
// is written and the link kept, and kinds that take no report are refused
// before and after a run alike.
func TestWriteFileAtomicKeepsWhatThePathIs(t *testing.T) {
	dir := t.TempDir()

	t.Run("regular and new files", func(t *testing.T) {
		for _, path := range []string{filepath.Join(dir, "new.json"), filepath.Join(dir, "old.json")} {
			if strings.HasSuffix(path, "old.json") {
				os.WriteFile(path, []byte("old"), 0o644)
			}
			if err := CheckWritable(path); err != nil {
				t.Fatal(err)
			}
			if err := WriteFileAtomic(path, writeHello); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(path); string(b) != "hello report\n" {
				t.Errorf("%s holds %q", path, b)
			}
		}
	})

	t.Run("FIFO", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := CheckWritable(fifo); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(fifo, writeHello); err == nil || !strings.Contains(err.Error(), "nothing reads this FIFO") {
			t.Errorf("a FIFO without a reader: got %v, want a clear error and no hang", err)
		}
		r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		// The report is smaller than the pipe's buffer: it is written
		// whole before it is read.
		if err := WriteFileAtomic(fifo, writeHello); err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(r); string(b) != "hello report\n" {
			t.Errorf("the FIFO's reader got %q", b)
		}
		if info, err := os.Lstat(fifo); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced: %v %v", info.Mode(), err)
		}
	})

	t.Run("pseudo-terminal", func(t *testing.T) {
		master, slave := openPTY(t)
		got := make(chan []byte)
		go func() {
			var buf bytes.Buffer
			b := make([]byte, 256)
			for !bytes.Contains(buf.Bytes(), []byte("report")) {
				n, err := master.Read(b)
				if err != nil {
					break
				}
				buf.Write(b[:n])
			}
			got <- buf.Bytes()
		}()
		if err := CheckWritable(slave); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(slave, writeHello); err != nil {
			t.Fatal(err)
		}
		if b := <-got; !bytes.Contains(b, []byte("hello report")) {
			t.Errorf("the terminal showed %q", b)
		}
		if info, err := os.Lstat(slave); err != nil || info.Mode()&os.ModeCharDevice == 0 {
			t.Errorf("the terminal's device node was replaced: %v %v", info.Mode(), err)
		}
	})

	t.Run("symlinks", func(t *testing.T) {
		target := filepath.Join(dir, "target.json")
		os.WriteFile(target, []byte("old"), 0o644)
		link := filepath.Join(dir, "link.json")
		dangling := filepath.Join(dir, "dangling.json")
		os.Symlink("target.json", link)
		os.Symlink("created.json", dangling)
		for path, dest := range map[string]string{link: target, dangling: filepath.Join(dir, "created.json")} {
			if err := CheckWritable(path); err != nil {
				t.Fatal(err)
			}
			if err := WriteFileAtomic(path, writeHello); err != nil {
				t.Fatal(err)
			}
			if info, err := os.Lstat(path); err != nil || info.Mode()&os.ModeSymlink == 0 {
				t.Errorf("%s is no longer a symlink", path)
			}
			if b, _ := os.ReadFile(dest); string(b) != "hello report\n" {
				t.Errorf("the link's target %s holds %q", dest, b)
			}
		}
	})

	t.Run("refused kinds", func(t *testing.T) {
		sock := filepath.Join(dir, "sock")
		ln, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		for path, want := range map[string]string{
			sock:       "is a socket, not a file",
			dir:        "is a directory",
			StdoutPath: "standard output",
		} {
			if err := WriteFileAtomic(path, writeHello); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: got %v, want %q", path, err, want)
			}
		}
		if err := CheckWritable(sock); err == nil {
			t.Error("a socket was accepted as a report path")
		}
	})

	t.Run("advice for a directory that takes no file", func(t *testing.T) {
		err := CheckWritable(filepath.Join(dir, "missing", "r.json"))
		if err == nil || !strings.Contains(err.Error(), "create the directory") {
			t.Errorf("missing directory: %v", err)
		}
		err = CheckWritable("/proc/x.json")
		if err == nil || strings.Contains(err.Error(), "create the directory") || !strings.Contains(err.Error(), "exists") {
			t.Errorf("/proc/x.json: %v", err)
		}
	})
}

// openPTY opens a pseudo-terminal and returns its master and the path of
// its slave device.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here (/dev/ptmx: %v)", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal(e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal(e)
	}
	return master, "/dev/pts/" + strconv.FormatUint(uint64(n), 10)
}
