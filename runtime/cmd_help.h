/* cmd_help.h — the command's help texts (`wasm-bpf --help`, `check
 * --help`, the daemon commands' usage). Written in help_text.c, which
 * runs at build time; the binary keeps them deflated (6.5 KB of text in
 * 2.5 KB: a page of the stripped file) and cmd_help inflates one when it
 * is asked for. */
#ifndef WASM_BPF_CMD_HELP_H
#define WASM_BPF_CMD_HELP_H

#include <stdio.h>

enum cmd_help { HELP_RUN, HELP_CHECK, HELP_DAEMON, HELP_COUNT };

/* Prints text WHICH to F; -1 if it could not be inflated (no memory). */
int cmd_help(enum cmd_help which, FILE *f);

#endif
