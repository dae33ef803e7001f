/* sockfilter.h — one IPv4 packet seen by the socket filter. */
#ifndef SOCKFILTER_H
#define SOCKFILTER_H

struct so_event {
	unsigned int src_addr; /* network byte order */
	unsigned int dst_addr;
	unsigned int ports; /* source and destination port, as on the wire */
	unsigned int ip_proto;
	unsigned int pkt_type;
	unsigned int ifindex;
};

#endif
