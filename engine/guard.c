/* guard.c — the fault handler for guard-page bounds checking. It only acts
 * on faults of the memory accesses of compiled code (jit.c knows where they
 * are); any other fault goes to whatever handler was there before, or
 * kills the process as usual. */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "guard.h"
#include "jit.h"
#include "runtime.h"

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
	if (wm_jit_fault(uc))
		return; /* resumes at compiled code reporting the trap */
	chain(sig, si, uc);
}

static void install_once(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
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
