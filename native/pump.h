/* native/pump.c: the thread that moves a terminal's bytes for tsbuild_terminal's pump(). */
#ifndef TSBUILD_PUMP_H
#define TSBUILD_PUMP_H

/*
 * Start a thread that copies `master` (a duplicate of it: the caller keeps
 * its own) <-> a new socketpair, whose other end goes to *node_end
 * (close-on-exec). 0, or an errno.
 */
int start_pump(int master, int *node_end);

#endif
