/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sched.c - the simulator's scheduler: the PRNG, the event heap, the
 * coroutines every simulated thread runs on, and the machines' clocks.
 *
 * One event at a time is taken from the heap (earliest time first, equal
 * times in the order they were pushed), W->now jumps to its time and it is
 * dispatched.  A coroutine runs only from a EV_WAKE carrying its current
 * token: a wake that was superseded (a sleep cut short, an I/O wait whose
 * completion came before its deadline) is dropped.  A wake for a thread of
 * a stopped daemon (SIGSTOP) or a frozen host is put back to the time it
 * may run again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define SIM_ASAN 1
#define STACK_SIZE (512u << 10)
#else
#define SIM_ASAN 0
#define STACK_SIZE (128u << 10)
#endif

struct world *W;
struct coro *sim_cur;

/* ---- PRNG: xoshiro256**, seeded with splitmix64 ---- */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t
rng_below(struct rng *r, uint64_t n)
{
	if (n <= 1)
		return 0;
	/* Lemire's multiply-shift; the bias is far below what matters here
	 * and the draw is exactly reproducible */
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

uint64_t
rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return hi <= lo ? lo : lo + rng_below(r, hi - lo + 1);
}

int
rng_ppm(struct rng *r, uint32_t ppm)
{
	return ppm > 0 && rng_below(r, 1000000) < ppm;
}

/* log-uniform in [lo, hi]: as many short as long durations per decade */
uint64_t
rng_logu(struct rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t span;
	int bits, b;

	if (lo == 0)
		lo = 1;
	if (hi <= lo)
		return lo;
	span = hi / lo;
	bits = 64 - __builtin_clzll(span);
	b = (int)rng_below(r, (uint64_t)bits + 1);
	span = (b == 0 ? 1 : (1ull << b) - 1) * lo;
	if (span > hi)
		span = hi;
	return rng_range(r, lo, span);
}

/* ---- the event heap ---- */

static int
ev_less(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

void
ev_push(uint64_t t, int kind, void *p, uint64_t a)
{
	struct ev e = { .t = t < W->now ? W->now : t, .seq = W->seq++, .p = p,
		.a = a, .kind = kind };
	size_t i;

	if (W->nheap == W->capheap) {
		W->capheap = W->capheap ? 2 * W->capheap : 1024;
		W->heap = realloc(W->heap, W->capheap * sizeof(*W->heap));
		if (W->heap == NULL)
			abort();
	}
	i = W->nheap++;
	while (i > 0 && ev_less(&e, &W->heap[(i - 1) / 2])) {
		W->heap[i] = W->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	W->heap[i] = e;
}

static struct ev
ev_pop(void)
{
	struct ev top = W->heap[0], last = W->heap[--W->nheap];
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= W->nheap)
			break;
		if (c + 1 < W->nheap && ev_less(&W->heap[c + 1], &W->heap[c]))
			c++;
		if (!ev_less(&W->heap[c], &last))
			break;
		W->heap[i] = W->heap[c];
		i = c;
	}
	if (W->nheap > 0)
		W->heap[i] = last;
	return top;
}

/* ---- coroutines ----
 *
 * On x86-64 a context switch is six callee-saved registers and the stack
 * pointer (sim_ctx_switch below): no system call, and nothing for ASan to
 * intercept (its swapcontext interceptor clears the shadow of the whole
 * stack at every switch).  Elsewhere, or with -DSIM_UCONTEXT, ucontext.
 * Either way ASan is told about every switch (its fiber interface). */

#if defined(__x86_64__) && !defined(SIM_UCONTEXT)
#define SIM_ASM_SWITCH 1
void sim_ctx_switch(void **save_sp, void *load_sp);
__asm__(
	".text\n"
	".globl sim_ctx_switch\n"
	".type sim_ctx_switch, @function\n"
	"sim_ctx_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size sim_ctx_switch, .-sim_ctx_switch\n");
static void *sched_sp;
#define SWITCH_IN(c) sim_ctx_switch(&sched_sp, (c)->sp)
#define SWITCH_OUT(c) sim_ctx_switch(&(c)->sp, sched_sp)
#else
#define SIM_ASM_SWITCH 0
static ucontext_t sched_uc;
#define SWITCH_IN(c) swapcontext(&sched_uc, &(c)->uc)
#define SWITCH_OUT(c) swapcontext(&(c)->uc, &sched_uc)
#endif
static void *stack_pool[256];
static int nstack_pool;
#if SIM_ASAN
static const void *main_bottom;      /* the scheduler's stack, for ASan */
static size_t main_size;
#endif

static void *
stack_get(void)
{
	void *s;

	if (nstack_pool > 0)
		return stack_pool[--nstack_pool];
	s = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s == MAP_FAILED) {
		perror("sim: mmap stack");
		abort();
	}
	return s;
}

static void
stack_put(void *s)
{
	if (nstack_pool < (int)(sizeof(stack_pool) / sizeof(stack_pool[0])))
		stack_pool[nstack_pool++] = s;
	else
		munmap(s, STACK_SIZE);
}

static void
asan_enter(struct coro *c)
{
#if SIM_ASAN
	__sanitizer_finish_switch_fiber(c->asan_fake, &main_bottom, &main_size);
#else
	(void)c;
#endif
}

static void
asan_leave(struct coro *c, int dying)
{
#if SIM_ASAN
	__sanitizer_start_switch_fiber(dying ? NULL : &c->asan_fake,
	    main_bottom, main_size);
#else
	(void)c;
	(void)dying;
#endif
}

static void
coro_trampoline(void)
{
	struct coro *c = sim_cur;

	asan_enter(c);
	c->fn(c->arg);
	c->done = 1;
	asan_leave(c, 1);
	SWITCH_OUT(c);
	abort(); /* never resumed */
}

struct coro *
coro_new(void (*fn)(void *), void *arg, struct inc *inc, const char *name)
{
	struct coro *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	c->fn = fn;
	c->arg = arg;
	c->inc = inc;
	c->m = inc != NULL ? inc->m : NULL;
	c->name = name;
	c->stack = stack_get();
	c->stack_size = STACK_SIZE;
#if SIM_ASM_SWITCH
	{
		/* what sim_ctx_switch pops: six registers, then it returns
		 * into the trampoline with the stack as right after a call */
		uint64_t *sp = (uint64_t *)(((uintptr_t)c->stack +
		    c->stack_size) & ~(uintptr_t)15);
		int k;

		*--sp = 0;                          /* the trampoline's return */
		*--sp = (uint64_t)(uintptr_t)coro_trampoline;
		for (k = 0; k < 6; k++)
			*--sp = 0;
		c->sp = sp;
	}
#else
	getcontext(&c->uc);
	c->uc.uc_stack.ss_sp = c->stack;
	c->uc.uc_stack.ss_size = c->stack_size;
	c->uc.uc_link = NULL;
	makecontext(&c->uc, coro_trampoline, 0);
#endif
	c->next_all = W->coros;
	W->coros = c;
	if (inc != NULL)
		inc->coros++;
	coro_wake(c, W->now);
	return c;
}

static void
coro_free(struct coro *c)
{
	struct coro **pp;

	for (pp = &W->coros; *pp != NULL; pp = &(*pp)->next_all)
		if (*pp == c) {
			*pp = c->next_all;
			break;
		}
	stack_put(c->stack);
	c->stack = NULL;
	if (c->inc != NULL)
		inc_coro_exit(c->inc);
	c->inc = NULL;
	c->m = NULL;
	/* superseded wakes of it may still be in the heap: the struct lives
	 * until the seed ends (done is set, so they are dropped) */
	c->next_all = W->dead_coros;
	W->dead_coros = c;
}

static void
coro_resume(struct coro *c)
{
#if SIM_ASAN
	void *fake = NULL;

	__sanitizer_start_switch_fiber(&fake, c->stack, c->stack_size);
#endif
	sim_cur = c;
	SWITCH_IN(c);
	sim_cur = NULL;
#if SIM_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	if (c->done)
		coro_free(c);
}

void
coro_block(void)
{
	struct coro *c = sim_cur;

	if (c == NULL)
		abort(); /* the scheduler itself cannot wait */
	asan_leave(c, 0);
	SWITCH_OUT(c);
	asan_enter(c);
}

void
coro_wake(struct coro *c, uint64_t at)
{
	c->tok++;
	ev_push(at, EV_WAKE, c, c->tok);
}

static int
ghost(const struct coro *c)
{
	return c->inc != NULL && c->inc->ghost;
}

void
coro_sleep_ns(uint64_t ns)
{
	struct coro *c = sim_cur;
	uint64_t until = W->now + ns;

	while (!ghost(c) && W->now < until) {
		coro_wake(c, until);
		coro_block();
	}
}

static void
wake_ev(struct coro *c, uint64_t tok)
{
	uint64_t until = 0;

	if (tok != c->tok || c->done)
		return;
	if (!ghost(c)) {
		if (c->inc != NULL && c->inc->paused_until > until)
			until = c->inc->paused_until;
		if (c->m != NULL && c->m->suspended_until > until)
			until = c->m->suspended_until;
		if (W->now < until) {
			ev_push(until, EV_WAKE, c, tok);
			return;
		}
	} else {
		W->ghost_steps++;
	}
	coro_resume(c);
}

/* ---- clocks ---- */

static uint64_t
local_at(const struct machine *m, uint64_t g)
{
	int64_t t = (int64_t)g;

	return (uint64_t)(m->clk_off + t + t / 1000000 * m->drift_ppm);
}

uint64_t
m_local_ns(const struct machine *m)
{
	return local_at(m, W->now);
}

uint64_t
m_local_ms(const struct machine *m)
{
	return m_local_ns(m) / MS;
}

/* The first global time at which m's clock reads at least local_ns (the
 * clock is monotonic: binary search). */
uint64_t
m_global_at_local(const struct machine *m, uint64_t local_ns)
{
	uint64_t lo = 0, hi = 1, mid;

	while (local_at(m, hi) < local_ns)
		hi *= 2;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (local_at(m, mid) >= local_ns)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* ---- the loop ---- */

static void
dispatch(const struct ev *e)
{
	switch (e->kind) {
	case EV_WAKE:
		wake_ev(e->p, e->a);
		break;
	case EV_LAND:
		disk_land_ev(e->p, (int)e->a);
		break;
	case EV_COMPLETE:
		disk_complete_ev(e->p);
		break;
	case EV_GUARD:
		host_guard_ev(e->p, e->a);
		break;
	case EV_FAULT:
		host_fault_ev();
		break;
	case EV_START:
		host_start_ev(e->p);
		break;
	case EV_UNHANG:
		disk_unhang(e->p, (int)e->a);
		break;
	case EV_RESUME:
		host_resume_ev(e->p);
		break;
	case EV_PHASE:
		host_phase_ev((int)e->a);
		break;
	case EV_EXPIRE:
		disk_expire_ev(e->p);
		break;
	}
}

void
sched_run(void)
{
	struct ev e;

	while (W->nheap > 0 && W->phase != PH_END &&
	    (!W->failed || W->tearing_down)) {
		e = ev_pop();
		if (e.t > W->now)
			W->now = e.t;
		W->steps++;
		dispatch(&e);
		if (W->phase == PH_FAULTS && W->steps >= W->max_steps)
			host_phase_ev(PH_DRAIN);
	}
}

/* Teardown: every daemon is a ghost by now; run the heap until no
 * coroutine is left (they unwind through the core, freeing what it
 * allocated).  I/O events still come, but land nowhere. */
void
sched_drain_coros(void)
{
	struct coro *c;
	struct ev e;

	while (W->coros != NULL && W->nheap > 0) {
		e = ev_pop();
		if (e.t > W->now)
			W->now = e.t;
		dispatch(&e);
		if (W->ghost_steps > 10000000) {
			fprintf(stderr, "sim: seed %llu: ghosts do not unwind "
			    "(a core loop without end?)\n",
			    (unsigned long long)W->seed);
			abort();
		}
	}
	if (W->coros != NULL) {
		fprintf(stderr, "sim: seed %llu: a coroutine waits forever at "
		    "teardown (%s)\n", (unsigned long long)W->seed,
		    W->coros->name);
		abort();
	}
	W->nheap = 0;
	while ((c = W->dead_coros) != NULL) {
		W->dead_coros = c->next_all;
		free(c);
	}
}
