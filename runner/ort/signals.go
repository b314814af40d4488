package ort

// Go's signal handlers around CUDA. The CUDA libraries can install signal handlers of their own
// without SA_ONSTACK (onnxruntime_go issue 140: Ctrl-C during a CUDA run then ends in "fatal error:
// non-Go code set up signal handler without SA_ONSTACK flag"; it also takes SIGINT away from the
// run's graceful stop). The accepted workaround, which onnxruntime_go leaves to its users, is to save
// Go's handlers before touching CUDA and restore them afterwards. GuardSignals does that around every
// call that loads or initializes CUDA here (plugin registration, the driver query, session creation);
// CheckSignals re-checks after a run step, since the libraries initialize parts of themselves lazily
// at first use.

/*
#include <signal.h>
#include <string.h>

#define ACOER_NSIG 65

static struct sigaction acoer_sig_saved[ACOER_NSIG];
static int acoer_sig_have[ACOER_NSIG];

static void acoer_sig_save(void) {
	for (int s = 1; s < ACOER_NSIG; s++) {
		acoer_sig_have[s] = sigaction(s, NULL, &acoer_sig_saved[s]) == 0;
	}
}

static void* acoer_handler(const struct sigaction* a) {
	return (a->sa_flags & SA_SIGINFO) ? (void*)a->sa_sigaction : (void*)a->sa_handler;
}

// acoer_sig_restore puts back every saved handler that was replaced since acoer_sig_save, writing the
// signal numbers into out (at most max); it returns how many it restored.
static int acoer_sig_restore(int* out, int max) {
	int n = 0;
	for (int s = 1; s < ACOER_NSIG; s++) {
		if (!acoer_sig_have[s]) continue;
		struct sigaction cur;
		if (sigaction(s, NULL, &cur) != 0) continue;
		if (acoer_handler(&cur) == acoer_handler(&acoer_sig_saved[s]) && cur.sa_flags == acoer_sig_saved[s].sa_flags) continue;
		if (sigaction(s, &acoer_sig_saved[s], NULL) == 0 && n < max) out[n++] = s;
	}
	return n;
}

// acoer_sig_install_foreign installs a handler without SA_ONSTACK for sig, as the CUDA libraries do
// (for tests).
static void acoer_sig_foreign_handler(int sig) { (void)sig; }
static int acoer_sig_install_foreign(int sig) {
	struct sigaction a;
	memset(&a, 0, sizeof(a));
	a.sa_handler = acoer_sig_foreign_handler;
	return sigaction(sig, &a, NULL);
}

// acoer_sig_onstack tells whether sig's current handler has SA_ONSTACK (-1 on error).
static int acoer_sig_onstack(int sig) {
	struct sigaction cur;
	if (sigaction(sig, NULL, &cur) != 0) return -1;
	return (cur.sa_flags & SA_ONSTACK) != 0;
}
*/
import "C"

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// signals guards the saved-handler table (one guarded window at a time).
var signals struct {
	mu sync.Mutex
	// restored records, per signal, what replaced Go's handler and was undone (for Restored).
	restored map[syscall.Signal][]string
	armed    bool // a snapshot of Go's handlers is held (for CheckSignals)
}

// GuardSignals saves the process's signal handlers (Go's), runs f, and restores every handler f
// replaced. what names f in Restored's account. It returns the signals whose handlers were restored.
func GuardSignals(what string, f func()) []syscall.Signal {
	signals.mu.Lock()
	defer signals.mu.Unlock()
	C.acoer_sig_save()
	signals.armed = true
	f()
	return restoreLocked(what)
}

// CheckSignals restores the handlers saved by the last GuardSignals that were replaced since (after a
// CUDA run step: the CUDA libraries initialize parts of themselves at first use). It costs one
// sigaction call per signal (64); a no-op before any GuardSignals.
func CheckSignals(what string) []syscall.Signal {
	signals.mu.Lock()
	defer signals.mu.Unlock()
	if !signals.armed {
		return nil
	}
	return restoreLocked(what)
}

func restoreLocked(what string) []syscall.Signal {
	var buf [64]C.int
	n := int(C.acoer_sig_restore(&buf[0], C.int(len(buf))))
	if n == 0 {
		return nil
	}
	if signals.restored == nil {
		signals.restored = map[syscall.Signal][]string{}
	}
	out := make([]syscall.Signal, n)
	for i := range n {
		s := syscall.Signal(buf[i])
		out[i] = s
		signals.restored[s] = append(signals.restored[s], what)
	}
	return out
}

// Restored says which signal handlers were found replaced (and restored) so far, and by what:
// "SIGINT (creating a CUDA session)"; empty when none.
func Restored() []string {
	signals.mu.Lock()
	defer signals.mu.Unlock()
	var out []string
	for s, by := range signals.restored {
		out = append(out, fmt.Sprintf("%s (%s)", SignalName(s), strings.Join(dedup(by), ", ")))
	}
	sort.Strings(out)
	return out
}

func dedup(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// SignalName is "SIGINT" for syscall.SIGINT ("signal 34" where Go has no name).
func SignalName(s syscall.Signal) string {
	names := map[syscall.Signal]string{syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT",
		syscall.SIGILL: "SIGILL", syscall.SIGTRAP: "SIGTRAP", syscall.SIGABRT: "SIGABRT", syscall.SIGBUS: "SIGBUS",
		syscall.SIGFPE: "SIGFPE", syscall.SIGUSR1: "SIGUSR1", syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR2: "SIGUSR2",
		syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM", syscall.SIGCHLD: "SIGCHLD",
		syscall.SIGURG: "SIGURG", syscall.SIGXCPU: "SIGXCPU", syscall.SIGPROF: "SIGPROF", syscall.SIGSYS: "SIGSYS"}
	if n, ok := names[s]; ok {
		return n
	}
	return fmt.Sprintf("signal %d", int(s))
}

// installForeignHandler installs a C handler without SA_ONSTACK for sig, as the CUDA libraries do
// (tests only).
func installForeignHandler(sig syscall.Signal) error {
	if C.acoer_sig_install_foreign(C.int(sig)) != 0 {
		return fmt.Errorf("sigaction(%d) failed", int(sig))
	}
	return nil
}

// handlerOnStack tells whether sig's current handler runs on the alternate signal stack (SA_ONSTACK,
// as Go's handlers do).
func handlerOnStack(sig syscall.Signal) bool { return C.acoer_sig_onstack(C.int(sig)) == 1 }
