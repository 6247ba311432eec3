/* The public machine API: configuration, creation and destruction of a
 * machine, spawning the first process, and system-wide numbers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"
#include "procfs.h"
#include "inject.h"
#include "task.h"
#include "vfs.h"
#include "loader/loader.h"
#include "syscall.h"
#include "oom.h"

void vmemu_config_init(struct vmemu_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_bytes = 256ULL << 20;
	cfg->root = "/";
	cfg->guest_stdin = 0;
	cfg->guest_stdout = 1;
	cfg->guest_stderr = 2;
	cfg->event_mask = VMEMU_EVENTS_DEFAULT;
	cfg->swap_bytes = -1;
	cfg->swappiness = 60;
	cfg->swap_level = 1;
	cfg->sample_interval_ns = 10000000ULL;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The node's events: a refused fill stops the run with the fault recorded
 * for the run loop (run.c), then the client hears of it with the pid. */
static void machine_node_event(void *ctx, const struct vmemu_event *ev)
{
	machine_t *m = ctx;
	struct vmemu_event copy = *ev;

	if (ev->kind == VMEMU_EVENT_FAULT_ERROR) {
		m->fault = (struct mmu_fault){
			ev->fault.addr,
			FAULT_FLAG_USER |
			((ev->fault.access & VMEMU_ACCESS_WRITE) ? FAULT_FLAG_WRITE : 0) |
			((ev->fault.access & VMEMU_ACCESS_FETCH) ? FAULT_FLAG_INSTRUCTION : 0),
			ev->fault.signo, ev->fault.si_code };
		m->stop = STOP_FAULT;
	}
	if (m->cfg.event && (m->cfg.event_mask & VMEMU_EVENT_BIT(ev->kind))) {
		copy.pid = ev->pid ? ev->pid : m->current ? m->current->pid : 0;
		m->cfg.event(m->cfg.event_ctx, &copy);
	}
}

static int machine_node_create(machine_t *m)
{
	struct vmemu_node_config ncfg;
	int err;

	vmemu_node_config_init(&ncfg);
	ncfg.mem_bytes = m->cfg.mem_bytes;
	ncfg.log = m->cfg.log;
	ncfg.log_ctx = m->cfg.log_ctx;
	ncfg.event = machine_node_event;
	ncfg.event_ctx = m;
	ncfg.event_mask = (m->cfg.event ? m->cfg.event_mask : 0) |
			  VMEMU_EVENT_BIT(VMEMU_EVENT_FAULT_ERROR);
	err = vmemu_node_create(m->uc, &ncfg, &m->mmu);
	if (err)
		return err == VMEMU_ERR_INVAL ? VMEMU_ERR_UNICORN : err;
	m->mmu->machine = m;
	m->node = m->mmu->pgdat;
	return machine_swap_setup(m);
}

int vmemu_machine_create(const struct vmemu_config *cfg, vmemu_machine **out)
{
	machine_t *m;
	int err = VMEMU_ERR_NOMEM;

	*out = NULL;
	if (cfg->mem_bytes < (4ULL << 20) || cfg->mem_bytes > (64ULL << 30) ||
	    cfg->mem_bytes % PAGE_SIZE)
		return VMEMU_ERR_INVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return VMEMU_ERR_NOMEM;
	m->cfg = *cfg;
	m->root_fd = -1;
	if (cfg->inject && inject_parse(m, cfg->inject)) {
		free(m);
		return VMEMU_ERR_INVAL;
	}
	m->cfg.inject = NULL;       /* parsed: the caller's string is not kept */
	m->root = realpath(cfg->root ? cfg->root : "/", NULL);
	if (!m->root) {
		err = VMEMU_ERR_INVAL;
		goto fail;
	}
	m->root_fd = open(m->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->root_fd < 0) {
		err = VMEMU_ERR_INVAL;
		goto fail;
	}
	err = cpu_open(m);
	if (err)
		goto fail;
	err = machine_node_create(m);
	if (err)
		goto fail;
	err = cpu_init(m);
	if (err)
		goto fail;
	err = cpu_init_cpuid(m);
	if (err)
		goto fail;
	err = syscall_init(m);
	if (err)
		goto fail;
	err = run_init(m);
	if (err)
		goto fail;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &m->capstone) != CS_ERR_OK) {
		err = VMEMU_ERR_NOMEM;
		goto fail;
	}
	cs_option(m->capstone, CS_OPT_DETAIL, CS_OPT_ON);
	m->next_pid = 1;
	m->rng_state = cfg->deterministic ? (cfg->seed ? cfg->seed : 0x5eed) * 0x9E3779B97F4A7C15ULL | 1
					  : monotonic_ns() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)m;
	if (!m->rng_state)
		m->rng_state = 1;
	m->boot_ns = machine_now_ns(m);
	*out = m;
	return 0;
fail:
	vmemu_machine_destroy(m);
	return err;
}

void vmemu_machine_destroy(vmemu_machine *m)
{
	if (!m)
		return;
	while (m->tasks) {
		struct task_struct *t = m->tasks;

		m->tasks = t->next;
		task_free(m, t);
	}
	run_fini(m);
	procfs_dir_cleanup(m);
	inject_free(m);
	if (m->capstone)
		cs_close(&m->capstone);
	vmemu_node_destroy(m->mmu);
	if (m->uc)
		uc_close(m->uc);
	if (m->root_fd >= 0)
		close(m->root_fd);
	free(m->syscalls);
	free(m->root);
	free(m);
}

/* The first process inherits vmemu's standard descriptors (duplicated, so
 * the guest closing them never closes the host's). */
static int install_stdio(machine_t *m, struct task_struct *t)
{
	const int host[3] = { m->cfg.guest_stdin, m->cfg.guest_stdout, m->cfg.guest_stderr };

	for (int fd = 0; fd < 3; fd++) {
		char link[64], path[4096];
		struct vfile *f;
		ssize_t n;
		int dupfd, fl;

		if (host[fd] < 0 || (fl = fcntl(host[fd], F_GETFL)) < 0)
			continue;
		dupfd = fcntl(host[fd], F_DUPFD_CLOEXEC, 3);
		if (dupfd < 0)
			return VMEMU_ERR_NOMEM;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", host[fd]);
		n = readlink(link, path, sizeof(path) - 1);
		path[n > 0 ? n : 0] = 0;
		f = vfile_new(VFILE_HOST, dupfd, fl, path);
		if (!f) {
			close(dupfd);
			return VMEMU_ERR_NOMEM;
		}
		if (fd_install(t->files, fd, f, false) != fd) {
			vfile_put(f);
			return VMEMU_ERR_NOMEM;
		}
	}
	return 0;
}

static int exec_to_vmemu_error(enum exec_error e)
{
	switch (e) {
	case EXEC_OK: return 0;
	case EXEC_ENOENT:
	case EXEC_ENOENT_INTERP: return VMEMU_ERR_NOENT;
	case EXEC_EACCES:
	case EXEC_EISDIR: return VMEMU_ERR_ACCES;
	case EXEC_ENOMEM: return VMEMU_ERR_NOMEM;
	default: return VMEMU_ERR_NOEXEC;
	}
}

int vmemu_spawn(vmemu_machine *m, const char *path, char *const argv[],
		char *const envp[], char *errbuf, size_t errlen)
{
	struct task_struct *t;
	enum exec_error e;
	char *host_path;

	if (m->tasks)
		return VMEMU_ERR_STATE;
	t = task_create(m);
	if (!t)
		return VMEMU_ERR_NOMEM;
	if (install_stdio(m, t)) {
		m->tasks = t->next;
		task_free(m, t);
		return VMEMU_ERR_NOMEM;
	}
	/* The guest starts where vmemu was started, when that is below the root. */
	{
		char *cwd = getcwd(NULL, 0);
		size_t rl = strlen(m->root);

		if (cwd && !strncmp(cwd, m->root, rl) &&
		    (rl == 1 || cwd[rl] == '/' || !cwd[rl])) {
			const char *rest = rl == 1 ? cwd : cwd + rl;

			free(t->cwd);
			t->cwd = strdup(*rest ? rest : "/");
		}
		free(cwd);
		if (!t->cwd) {
			m->tasks = t->next;
			task_free(m, t);
			return VMEMU_ERR_NOMEM;
		}
	}
	host_path = vfs_host_path(m, t->cwd, path);
	if (host_path && exec_is_script(host_path)) {
		/* A "#!" script: its interpreter runs it, as execve does. */
		long r = do_execve(m, t, path, argv, envp);

		free(host_path);
		if (r) {
			if (errbuf && errlen)
				snprintf(errbuf, errlen, "%s", strerror((int)-r));
			m->tasks = t->next;
			task_free(m, t);
			return r == -ENOENT ? VMEMU_ERR_NOENT : r == -EACCES ? VMEMU_ERR_ACCES
			       : r == -ENOMEM ? VMEMU_ERR_NOMEM : VMEMU_ERR_NOEXEC;
		}
		e = EXEC_OK;
	} else if (!host_path) {
		e = EXEC_ENOENT;
	} else {
		e = task_exec(m, t, host_path, path, argv, envp);
		free(host_path);
	}
	if (e != EXEC_OK) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "%s", exec_strerror(e));
		m->tasks = t->next;
		task_free(m, t);
		return exec_to_vmemu_error(e);
	}
	m->first_pid = t->pid;
	t->oom_score_adj = (short)m->cfg.oom_score_adj;
	return 0;
}

int vmemu_run(vmemu_machine *m, int *status)
{
	int err;

	if (!m->tasks)
		return VMEMU_ERR_STATE;
	err = machine_run(m);
	if (status)
		*status = m->first_status;
	/* Reap every task, so that the machine can spawn again. */
	while (m->tasks) {
		struct task_struct *t = m->tasks;

		m->tasks = t->next;
		task_free(m, t);
	}
	m->current = NULL;
	m->engine_owner = NULL;
	mmu_switch_mm(m, NULL);
	return err;
}

vmemu_node *vmemu_machine_node(vmemu_machine *m)
{
	return m->mmu;
}

int vmemu_get_meminfo(vmemu_machine *m, struct vmemu_meminfo *out)
{
	return vmemu_node_meminfo(m->mmu, out);
}
