typedef void (*vmemu_log_fn)(void *ctx, int level, const char *msg);

static void log_to_stderr(void *ctx, int level, const char *msg)
{
	if (level <= VMEMU_LOG_WARNING)
		fprintf(stderr, "%s: %s\n", (const char *)ctx, msg);
}
