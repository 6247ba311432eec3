const char *vmemu_strerror(int err);

static int report_error(const char *what, int err)
{
	/* -EINVAL from vmemu_munmap and VMEMU_ERR_NOMEM from
	 * vmemu_node_create print alike. */
	return err == VMEMU_OK ? 0 : fprintf(stderr, "%s: %s (%s)\n", what,
					     vmemu_strerror(err),
					     VMEMU_IS_ERRNO(err) ? "guest errno" : "library");
}
