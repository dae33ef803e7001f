/* trigger.c — `trigger WHAT ...`: the outside events the suite's guests
 * wait for. getpgid N: N records via the tracepoint (5 output, then
 * reserve); sizes N: N records of many sizes into ring.bpf.o's one-page
 * ring, in bursts of 16; flood N: N bursts that overflow the perf buffer flood_pb,
 * 300 ms apart so the guest drains in between; uprobe N: N calls of
 * wasm_bpf_test_probe (this binary is the uprobe target); cgroup DIR: join DIR
 * and create a socket; udp NETNS ADDR: UDP packets from inside NETNS to ADDR.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) int wasm_bpf_test_probe(int x)
{
	__asm__ volatile("" : : "r"(x) : "memory");
	return x + 1;
}

static int udp(const char *netns, const char *addr)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
	char path[256];
	int nfd, s;

	snprintf(path, sizeof(path), "/var/run/netns/%s", netns);
	nfd = open(path, O_RDONLY);
	if (nfd < 0 || setns(nfd, CLONE_NEWNET))
		return 1;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return 1;
	for (int i = 0; i < 5; i++) {
		sendto(s, "wasm-bpf", 8, 0, (void *)&a, sizeof(a));
		usleep(50000);
	}
	return 0;
}

static int cgroup(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		return 1;
	return socket(AF_INET, SOCK_DGRAM, 0) < 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "getpgid")) {
		int n = atoi(argv[2]);

		for (int i = 0; i < n; i++)
			syscall(SYS_getpgid, i < 5 ? 0x5eed0001 : 0x5eed0002);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "sizes")) {
		for (int i = 0; i < atoi(argv[2]); i++) {
			if (i % 16 == 15)
				usleep(1000); /* the reader keeps up, mostly */
			syscall(SYS_getpgid, 0x5eed0004);
		}
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "flood")) {
		cpu_set_t one;

		/* the kernel reports a CPU's losses with its next record */
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		sched_setaffinity(0, sizeof(one), &one);
		for (int i = 0; i < atoi(argv[2]); i++) {
			if (i)
				usleep(300000);
			syscall(SYS_getpgid, 0x5eed0003);
		}
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "uprobe")) {
		for (int i = 0; i < atoi(argv[2]); i++)
			wasm_bpf_test_probe(i);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "cgroup"))
		return cgroup(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "udp"))
		return udp(argv[2], argv[3]);
	fprintf(stderr, "usage: trigger getpgid N | sizes N | flood N | uprobe N | "
			"cgroup DIR | "
			"udp NETNS ADDR\n");
	return 2;
}
