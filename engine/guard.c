/* guard.c — the fault handler for guard-page bounds checking. It only acts
 * on faults inside the reservation of the memory the interpreter is running
 * on, while guest code (not a host function) runs; any other fault goes to
 * whatever handler was there before, or kills the process as usual. */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "guard.h"
#include "jit.h"
#include "runtime.h"

__thread struct wm_guard wm_guard;

#ifdef WASM_GUARD_PAGES
static struct sigaction previous_segv, previous_bus;

static void chain(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *prev =
		sig == SIGSEGV ? &previous_segv : &previous_bus;
	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, si, uc);
		return;
	}
	if (prev->sa_handler == SIG_IGN)
		return;
	if (prev->sa_handler != SIG_DFL) {
		prev->sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	const struct wasm_memory *m = wm_guard.mem;
	const uint8_t *addr = si->si_addr;
	if (wm_jit_fault(uc))
		return; /* resumes at compiled code reporting the trap */
	if (wm_guard.jmp && wm_guard.in_wasm && m && addr >= m->base &&
	    addr < m->base + m->reserved)
		siglongjmp(*wm_guard.jmp, 1);
	chain(sig, si, uc);
}

static void install_once(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	/* NODEFER: we leave by siglongjmp without restoring the mask. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &previous_segv);
	sigaction(SIGBUS, &sa, &previous_bus);
}
#endif

void wm_guard_install(void)
{
#ifdef WASM_GUARD_PAGES
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install_once);
#endif
}
