/* execve's first half: resolve the program below the root and follow "#!"
 * interpreter lines as Linux's binfmt_script does, then load the ELF with
 * task_exec. Shared by the execve syscall and the machine's first spawn. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "task.h"
#include "vfs.h"

#define BINPRM_BUF_SIZE 256
#define BINPRM_MAX_RECURSION 4

/* Parses "#!interp [arg]" from the start of host_path. Returns 1 for a
 * script (interp and arg filled), 0 for anything else, or -errno. */
static int read_shebang(const char *host_path, char *interp, size_t ilen, char *arg, size_t alen)
{
	char buf[BINPRM_BUF_SIZE + 1], *p, *end, *nl;
	ssize_t n;
	int fd = open(host_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;        /* the ELF loader reports the real error */
	n = read(fd, buf, BINPRM_BUF_SIZE);
	close(fd);
	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return 0;
	buf[n] = 0;
	nl = strchr(buf, '\n');
	/* Linux: a first line longer than the buffer must still hold the
	 * whole interpreter name, or the exec fails with ENOEXEC. */
	end = nl ? nl : buf + n;
	*end = 0;
	for (p = buf + 2; *p == ' ' || *p == '\t'; p++)
		;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = 0;
	if (!*p)
		return -ENOEXEC;
	n = strcspn(p, " \t");
	if (!nl && p + n == buf + BINPRM_BUF_SIZE)
		return -ENOEXEC;
	if ((size_t)n >= ilen)
		return -ENAMETOOLONG;
	memcpy(interp, p, (size_t)n);
	interp[n] = 0;
	p += n;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strlen(p) >= alen)
		return -E2BIG;
	strcpy(arg, p);
	return 1;
}

bool exec_is_script(const char *host_path)
{
	char interp[BINPRM_BUF_SIZE], arg[BINPRM_BUF_SIZE];

	return read_shebang(host_path, interp, sizeof(interp), arg, sizeof(arg)) != 0;
}

long do_execve(machine_t *m, struct task_struct *t, const char *path, char *const argv[],
	       char *const envp[])
{
	char **args = NULL, *host = NULL, *cur = strdup(path);
	char interp[BINPRM_BUF_SIZE], arg[BINPRM_BUF_SIZE];
	size_t argc = 0;
	bool owned = false;      /* args' strings are ours (after a script) */
	long err = 0;

	if (!cur)
		return -ENOMEM;
	while (argv && argv[argc])
		argc++;
	args = calloc(argc + 1, sizeof(*args));
	if (!args) {
		free(cur);
		return -ENOMEM;
	}
	for (size_t i = 0; i < argc; i++)
		args[i] = argv[i];
	for (int depth = 0;; depth++) {
		char *guest = NULL, **nargs;
		int verr = 0, r;
		size_t k = 0;

		free(host);
		host = vfs_exec_path(m, t, cur, &guest, &verr);
		free(guest);
		if (!host) {
			err = verr ? verr : -ENOENT;
			break;
		}
		r = read_shebang(host, interp, sizeof(interp), arg, sizeof(arg));
		if (r < 0) {
			err = r;
			break;
		}
		if (r == 0) {
			enum exec_error e = task_exec(m, t, host, cur, args, envp);

			err = e == EXEC_OK ? 0 : -exec_errno(e);
			break;
		}
		/* The file must be executable to be run as a script, too. */
		if (access(host, X_OK)) {
			err = -EACCES;
			break;
		}
		if (depth >= BINPRM_MAX_RECURSION) {
			err = -ELOOP;
			break;
		}
		/* argv becomes: interpreter, its argument if any, the script's
		 * path as given, then the original argv[1..]. */
		nargs = calloc(argc + 4, sizeof(*nargs));
		if (!nargs) {
			err = -ENOMEM;
			break;
		}
		nargs[k++] = strdup(interp);
		if (arg[0])
			nargs[k++] = strdup(arg);
		nargs[k++] = strdup(cur);
		for (size_t i = 1; i < argc; i++)
			nargs[k++] = strdup(args[i]);
		if (owned)
			for (size_t i = 0; i < argc; i++)
				free(args[i]);
		free(args);
		owned = true;
		args = nargs;
		argc = k;
		free(cur);
		cur = strdup(interp);
		for (size_t i = 0; i < k; i++)
			if (!args[i] || !cur)
				err = -ENOMEM;
		if (err)
			break;
	}
	if (owned)
		for (size_t i = 0; i < argc; i++)
			free(args[i]);
	free(args);
	free(host);
	free(cur);
	return err;
}
