/* guard.c — the fault handler for guard-page bounds checking. It only acts
 * on faults of the memory accesses of compiled code (jit.c knows where they
 * are) and on writes to read-only mappings a host put into guest memory
 * (guard.h); any other fault goes to whatever handler was there before, or
 * kills the process as usual. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

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

/* The read-only mappings (guard.h), read by the handler without locks:
 * a slot's fields are written while its state is CLAIMED, then LIVE is
 * published. Few instances map rings, a handful each. */
#define RO_SLOTS 64
enum { RO_FREE, RO_CLAIMED, RO_LIVE };
static struct {
	_Atomic int state;
	uintptr_t lo, hi;
	struct wasm_instance *inst;
} ro[RO_SLOTS];

int wm_guard_ro_add(void *lo, size_t len, struct wasm_instance *inst)
{
	for (int i = 0; i < RO_SLOTS; i++) {
		int free_ = RO_FREE;

		if (!atomic_compare_exchange_strong(&ro[i].state, &free_,
						    RO_CLAIMED))
			continue;
		ro[i].lo = (uintptr_t)lo;
		ro[i].hi = (uintptr_t)lo + len;
		ro[i].inst = inst;
		atomic_store(&ro[i].state, RO_LIVE);
		return 0;
	}
	return -ENOSPC;
}

void wm_guard_ro_del(void *lo)
{
	for (int i = 0; i < RO_SLOTS; i++)
		if (atomic_load(&ro[i].state) == RO_LIVE &&
		    ro[i].lo == (uintptr_t)lo)
			atomic_store(&ro[i].state, RO_FREE);
}

/* A write by C code to a read-only mapping (guard.h): mmap is a plain
 * system call, safe here. */
static bool ro_rescue(uintptr_t addr)
{
	for (int i = 0; i < RO_SLOTS; i++) {
		if (atomic_load(&ro[i].state) != RO_LIVE || addr < ro[i].lo ||
		    addr >= ro[i].hi)
			continue;
		if (mmap((void *)ro[i].lo, ro[i].hi - ro[i].lo,
			 PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
			 -1, 0) == MAP_FAILED)
			return false;
		ro[i].inst->ro_fault = 1;
		ro[i].inst->interrupt = 1;
		atomic_store(&ro[i].state, RO_FREE);
		return true;
	}
	return false;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	if (wm_jit_fault(uc))
		return; /* resumes at compiled code reporting the trap */
	if (sig == SIGSEGV && ro_rescue((uintptr_t)si->si_addr))
		return; /* the write is done again, on writable pages */
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

#else
int wm_guard_ro_add(void *lo, size_t len, struct wasm_instance *inst)
{
	(void)lo, (void)len, (void)inst;
	return -EOPNOTSUPP; /* no handler: a write would kill the process */
}

void wm_guard_ro_del(void *lo)
{
	(void)lo;
}
#endif

void wm_guard_install(void)
{
#ifdef WASM_GUARD_PAGES
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install_once);
#endif
}
