package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	scriptCmds["filetype"] = cmdFiletype
	scriptCmds["sameinode"] = cmdSameInode
	scriptCmds["owner"] = cmdOwner
	scriptCmds["mkfifo"] = cmdMkfifo
	scriptCmds["hardlink"] = cmdHardlink
}

// hardlink NEW OLD makes NEW a hard link of OLD.
func cmdHardlink(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: hardlink NEW OLD")
	}
	ts.Check(os.Link(ts.MkAbs(args[1]), ts.MkAbs(args[0])))
}

// filetype FILE TYPE asserts what FILE is without following a symlink:
// file, symlink, fifo, chardev or dir.
func cmdFiletype(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: filetype FILE TYPE")
	}
	fi, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	m := fi.Mode()
	var got string
	switch {
	case m&os.ModeSymlink != 0:
		got = "symlink"
	case m&os.ModeNamedPipe != 0:
		got = "fifo"
	case m&os.ModeCharDevice != 0:
		got = "chardev"
	case m.IsDir():
		got = "dir"
	case m.IsRegular():
		got = "file"
	default:
		got = m.String()
	}
	if (got == args[1]) == neg {
		ts.Fatalf("%s is a %s", args[0], got)
	}
}

// sameinode A B asserts that A and B are hard links of one file.
func cmdSameInode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sameinode A B")
	}
	a, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	b, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if os.SameFile(a, b) == neg {
		ts.Fatalf("%s and %s: same file is %v", args[0], args[1], !neg)
	}
}

// owner set|is FILE UID:GID chowns FILE or asserts its owner; only as
// root (where a replace would silently hand the file to root): elsewhere
// both do nothing.
func cmdOwner(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: owner set|is FILE UID:GID")
	}
	if os.Geteuid() != 0 {
		return
	}
	var uid, gid int
	if _, err := fmt.Sscanf(args[2], "%d:%d", &uid, &gid); err != nil {
		ts.Fatalf("bad UID:GID %q", args[2])
	}
	f := ts.MkAbs(args[1])
	switch args[0] {
	case "set":
		ts.Check(os.Lchown(f, uid, gid))
	case "is":
		fi, err := os.Stat(f)
		ts.Check(err)
		st := fi.Sys().(*syscall.Stat_t)
		if (int(st.Uid) == uid && int(st.Gid) == gid) == neg {
			ts.Fatalf("%s is owned by %d:%d", args[1], st.Uid, st.Gid)
		}
	default:
		ts.Fatalf("usage: owner set|is FILE UID:GID")
	}
}

// mkfifo NAME makes a named pipe.
func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: mkfifo NAME")
	}
	ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o600))
}
