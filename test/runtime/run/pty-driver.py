#!/usr/bin/env python3
"""A person at a terminal, for tty.test.ts: runs a program on a real
pseudo-terminal (its controlling terminal, stdin, stdout and stderr), sized
ROWS x COLS, then follows a script of steps against it:

  ["expect", REGEX]     read the terminal's output until REGEX matches past the last match
  ["send", TEXT]        type TEXT (\\x03 is Ctrl-C)
  ["resize", R, C]      resize the terminal: the kernel sends SIGWINCH to the program
  ["kill", N]           send the program signal N (9: it ends with no clean-up of its own)

usage: pty-driver.py '{"rows": R, "cols": C, "steps": [...]}' -- PROGRAM ARG...

Prints one JSON line: {"code": exit status (-N for signal N), "output": all
output, "failed": the step that never matched, or null}. An expect that
cannot match because the program ended fails; one the program never answers
is left to the test's own timeout, which ends this driver with SIGTERM: the
program gets SIGTERM too (it aborts its run).
"""
import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def controlling_terminal():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def main():
    script = json.loads(sys.argv[1])
    assert sys.argv[2] == "--"
    master, slave = os.openpty()
    set_size(master, script["rows"], script["cols"])
    child = subprocess.Popen(
        sys.argv[3:], stdin=slave, stdout=slave, stderr=slave, preexec_fn=controlling_terminal
    )
    os.close(slave)
    signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
    output = bytearray()

    def read_some(timeout):
        """Some output, or None when there is none within `timeout` or the terminal hung up."""
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            return None
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the program and everything it started have closed the terminal
            return None
        output.extend(data)
        return data or None

    failed = None
    mark = 0
    for step in script["steps"]:
        if step[0] == "send":
            os.write(master, step[1].encode("latin-1"))
        elif step[0] == "resize":
            set_size(master, step[1], step[2])
        elif step[0] == "kill":
            child.send_signal(step[1])
        elif step[0] == "expect":
            pattern = re.compile(step[1].encode("latin-1"), re.S)
            while True:
                found = pattern.search(output, mark)
                if found:
                    mark = found.end()
                    break
                if child.poll() is not None and read_some(0) is None:
                    failed = step
                    break
                read_some(0.05)
            if failed:
                break
    if failed is not None and child.poll() is None:
        child.send_signal(signal.SIGTERM)
    while child.poll() is None:
        read_some(0.05)
    while read_some(0) is not None:
        pass
    print(json.dumps({"code": child.returncode, "output": output.decode("utf-8", "replace"), "failed": failed}))


main()
