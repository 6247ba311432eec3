/* Task life cycle: creation, exec of a new image, register set-up, exit. */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "task.h"
#include "vfs.h"

struct task_struct *task_create(machine_t *m)
{
	struct task_struct *t = calloc(1, sizeof(*t));

	if (t)
		t->start_ns = machine_now_ns(m) - m->boot_ns;
	if (!t)
		return NULL;
	t->files = files_alloc();
	t->cwd = strdup("/");
	t->sighand = calloc(1, sizeof(*t->sighand));
	if (!t->files || !t->cwd || !t->sighand ||
	    uc_context_alloc(m->uc, &t->ctx) != UC_ERR_OK) {
		if (t->files)
			files_free(t->files);
		free(t->sighand);
		free(t->cwd);
		free(t);
		return NULL;
	}
	t->sighand->count = 1;
	/* The first process inherits vmemu's limits; the descriptor table
	 * bounds RLIMIT_NOFILE. */
	for (int r = 0; r < 16; r++) {
		struct rlimit hl;

		if (getrlimit(r, &hl)) {
			hl.rlim_cur = hl.rlim_max = RLIM_INFINITY;
		}
		t->rlim[r].cur = hl.rlim_cur;
		t->rlim[r].max = hl.rlim_max;
	}
	if (t->rlim[RLIMIT_NOFILE].max > NR_OPEN_DEFAULT)
		t->rlim[RLIMIT_NOFILE].max = NR_OPEN_DEFAULT;
	if (t->rlim[RLIMIT_NOFILE].cur > NR_OPEN_DEFAULT)
		t->rlim[RLIMIT_NOFILE].cur = NR_OPEN_DEFAULT;
	t->files->max_fds = (unsigned int)t->rlim[RLIMIT_NOFILE].cur;
	t->rlim[RLIMIT_STACK].cur = 8ULL << 20;
	t->group_leader = t;
	t->exit_signal = SIGCHLD;
	t->vfork_done = true;
	/* The first process leads its own process group, as a shell's job
	 * does, in the session vmemu runs in (its leader is not a guest task,
	 * and no guest pid takes its number).  When vmemu's own session
	 * leader is outside its pid namespace (a container), getsid() says
	 * 0, and so does the guest's, as Linux would. */
	if (!m->outer_sid_known) {
		pid_t sid = getsid(0);

		m->outer_sid = sid > 0 ? sid : 0;
		m->outer_sid_known = true;
	}
	if (m->outer_sid && m->next_pid == m->outer_sid)
		m->next_pid++;
	t->pid = t->tgid = t->pgid = m->next_pid++;
	t->sid = m->outer_sid;
	t->ppid = 0;
	t->umask = 022;
	t->state = TASK_RUNNING;
	t->rlim_stack = 8ULL << 20;
	t->altstack.ss_flags = K_SS_DISABLE;
	t->next = m->tasks;
	m->tasks = t;
	return t;
}

void task_free(machine_t *m, struct task_struct *t)
{
	/* A vfork parent may still wait on this child (reaped at once when
	 * its exit signal is ignored or invalid): it must not keep a
	 * dangling pointer. */
	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o->vfork_child == t)
			o->vfork_child = NULL;
	if (t->mm)
		mmput(t->mm);
	if (t->files) {
		if (t->files->count > 1)
			t->files->count--;
		else
			files_free(t->files);
	}
	if (t->sighand && --t->sighand->count <= 0)
		free(t->sighand);
	if (t->ctx)
		uc_context_free(t->ctx);
	free(t->host_wait);
	free(t->exec_pending);
	free(t->exe_path);
	free(t->cwd);
	free((char *)t->exit_report.smaps);
	free(t);
	(void)m;
}

bool task_wait_host(struct task_struct *t, const struct pollfd *fds, unsigned int n)
{
	struct pollfd *copy = n ? malloc(n * sizeof(*copy)) : NULL;

	if (n && !copy)
		return false;
	if (n)
		memcpy(copy, fds, n * sizeof(*copy));
	free(t->host_wait);
	t->host_wait = copy;
	t->nr_host_wait = n;
	return true;
}

void task_wait_host_clear(struct task_struct *t)
{
	free(t->host_wait);
	t->host_wait = NULL;
	t->nr_host_wait = 0;
}

static uint64_t exec_random(void *ctx)
{
	return machine_random(ctx);
}

/* What the loader needs to find PT_INTERP's file below the root, relative
 * names against the cwd, as open_exec in the exec'ing task would. */
struct interp_lookup {
	machine_t *m;
	struct task_struct *t;
};

static char *exec_resolve_interp(void *ctx, const char *name, char **maps_name, int *err)
{
	struct interp_lookup *l = ctx;

	return vfs_exec_path(l->m, l->t, name, maps_name, err);
}

enum exec_error task_exec(machine_t *m, struct task_struct *t, const char *host_path,
			  const char *guest_path, char *const argv[], char *const envp[])
{
	const struct exec_cpu_info cpu = {
		.hwcap = cpu_hwcap(m), /* CPUID.1:EDX, as Linux's ELF_HWCAP */
		.hwcap2 = 0,           /* no FSGSBASE: CR4.FSGSBASE is off */
		.platform = "x86_64",
		.minsigstksz = 2048,   /* an fxsave frame: Linux's value without XSAVE */
	};
	struct interp_lookup lookup = { .m = m, .t = t };
	struct exec_params p = {
		.path = host_path,
		.execfn = guest_path,
		.argv = argv,
		.envp = envp,
		/* Randomised as Linux does, from the machine's generator,
		 * which a deterministic run seeds: the layout then repeats. */
		.deterministic = false,
		.random = exec_random,
		.random_ctx = m,
		.cpu = &cpu,
		.stack_rlimit = t->rlim_stack,
		.uid = getuid(), .euid = geteuid(),
		.gid = getgid(), .egid = getegid(),
		.resolve_interp = exec_resolve_interp,
		.resolve_ctx = &lookup,
	};
	struct exec_result *r;
	struct mm_struct *mm, *old;
	size_t rl = strlen(m->root);
	enum exec_error e;
	const char *base;

	/* /proc/PID/maps names the file by its path below the root. */
	p.maps_path = host_path;
	if (rl > 1 && !strncmp(host_path, m->root, rl) && host_path[rl] == '/')
		p.maps_path = host_path + rl;
	e = elf_check_file(host_path);
	if (e != EXEC_OK)
		return e;
	mm = mm_alloc(m->node);
	r = calloc(1, sizeof(*r));
	if (!mm || !r) {
		if (mm)
			mmput(mm);
		free(r);
		return EXEC_ENOMEM;
	}
	e = load_elf_binary(mm, &p, r);
	if (e != EXEC_OK) {
		mmput(mm);
		free(r);
		return e;
	}
	mm->rlim_stack = t->rlim_stack;
	/* Point of no return: the old image goes, and with it every other
	 * thread of the process (Linux's de_thread). */
	for (struct task_struct *o = m->tasks; o; o = o->next)
		if (o != t && o->tgid == t->tgid && o->state != TASK_ZOMBIE && o->state != TASK_DEAD)
			do_exit(m, o, SIGKILL);
	if (t->group_leader != t) {
		/* The exec'ing thread takes over the leader's identity. */
		t->pid = t->tgid;
		t->group_leader = t;
	}
	old = t->mm;
	t->mm = mm;
	if (m->current == t)
		mmu_switch_mm(m, mm);
	if (old)
		mmput(old);
	free(t->exec_pending);
	t->exec_pending = r;
	free(t->exe_path);
	t->exe_path = strdup(p.maps_path);
	base = strrchr(guest_path, '/');
	base = base ? base + 1 : guest_path;
	snprintf(t->comm, sizeof(t->comm), "%s", base);
	/* Handlers reset to default; ignored stay ignored; altstack gone. */
	for (int i = 0; i < KNSIG; i++) {
		if (t->sighand->action[i].handler != K_SIG_IGN)
			memset(&t->sighand->action[i], 0, sizeof(t->sighand->action[i]));
	}
	t->altstack = (struct stack_altstack){ .ss_flags = K_SS_DISABLE };
	t->clear_child_tid = 0;
	t->robust_list = 0;
	t->vfork_done = true;
	/* A handler table shared with other processes (vfork) becomes ours. */
	if (t->sighand->count > 1) {
		struct sighand *own = malloc(sizeof(*own));

		if (own) {
			*own = *t->sighand;
			own->count = 1;
			t->sighand->count--;
			t->sighand = own;
		}
	}
	for (int fd = 0; fd < NR_OPEN_DEFAULT; fd++)
		if (t->files->cloexec[fd])
			fd_close(t->files, fd);
	if (!t->in_syscall)
		task_start_regs(m, t, r);
	return EXEC_OK;
}

void task_start_regs(machine_t *m, struct task_struct *t, const struct exec_result *r)
{
	static const int gprs[] = {
		UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX,
		UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_R8,
		UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12,
		UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15, UC_X86_REG_FS_BASE,
		UC_X86_REG_GS_BASE,
	};
	uint64_t zero = 0, flags = 0x202, fcw = 0x37f, mxcsr = 0x1f80, tag = 0xffff;
	uint8_t zero128[16] = { 0 };

	for (unsigned int i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
		uc_reg_write(m->uc, gprs[i], &zero);
	for (int i = 0; i < 16; i++)
		uc_reg_write(m->uc, UC_X86_REG_XMM0 + i, zero128);
	uc_reg_write(m->uc, UC_X86_REG_FPCW, &fcw);
	uc_reg_write(m->uc, UC_X86_REG_FPSW, &zero);
	uc_reg_write(m->uc, UC_X86_REG_FPTAG, &tag);
	uc_reg_write(m->uc, UC_X86_REG_MXCSR, &mxcsr);
	uc_reg_write(m->uc, UC_X86_REG_EFLAGS, &flags);
	t->entry_rip = r->entry;
	t->entry_rsp = r->stack_pointer;
	cpu_enter_user(m);
	t->fs_base = 0;
}

