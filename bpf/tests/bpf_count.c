/* bpf_count.c — `bpf-count [PREFIX]`: how many BPF programs whose name
 * starts with PREFIX (default "wbt_", the suite's programs) are loaded, and
 * how many links point at them. The suite compares this before and after
 * each guest to prove nothing of a finished instance stayed in the kernel;
 * the prefix keeps other users' programs out of the count.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

static int verbose;

static int prog_matches(__u32 id, const char *prefix)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), ok;

	if (fd < 0)
		return 0;
	ok = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	     !strncmp(info.name, prefix, strlen(prefix));
	if (ok && verbose)
		printf("prog %u %s type %u\n", id, info.name, info.type);
	close(fd);
	return ok;
}

static int link_matches(__u32 id, const char *prefix)
{
	struct bpf_link_info info = {0};
	__u32 len = sizeof(info);
	int fd = bpf_link_get_fd_by_id(id), ok;

	if (fd < 0)
		return 0;
	ok = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	     prog_matches(info.prog_id, prefix);
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	int progs = 0, links = 0;
	const char *prefix;
	__u32 id = 0;

	verbose = argc > 1 && !strcmp(argv[1], "-v");
	argc -= verbose;
	argv += verbose;
	prefix = argc > 1 ? argv[1] : "wbt_";
	while (!bpf_prog_get_next_id(id, &id))
		progs += prog_matches(id, prefix);
	id = 0;
	while (!bpf_link_get_next_id(id, &id))
		links += link_matches(id, prefix);
	printf("progs %d links %d\n", progs, links);
	return 0;
}
