/*
 * Socket addresses (IPv4 and IPv6): formatting for logs and the control
 * socket, parsing of IP literals, and building sockaddrs. A built sockaddr
 * is zeroed first: the directory compares addresses with memcmp.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* "[ipv6]:port" plus NUL */
#define ADDR_STRLEN 64

/** Format as "1.2.3.4:5" or "[::1]:5" ("?" for other families). */
void addr_format(const struct sockaddr *sa, char *buf, size_t len);
/** The IP alone, without the port ("?" for other families). */
void addr_format_ip(const struct sockaddr *sa, char *buf, size_t len);
/** The port in host order (0 for other families). */
uint16_t addr_port(const struct sockaddr *sa);
/** Set the port (host order) of an IPv4 or IPv6 sockaddr; others are left alone. */
void addr_set_port(struct sockaddr_storage *ss, uint16_t port);

/** An IPv4 ("1.2.3.4") or IPv6 ("::1", no brackets) literal? */
bool addr_is_ip(const char *s);

/**
 * Build a sockaddr from raw bytes (4 for AF_INET, 16 for AF_INET6, network
 * order) and a port in host order; scope_id is for IPv6 only. Returns its
 * length, or 0 for another family.
 */
socklen_t addr_make(struct sockaddr_storage *ss, int family, const void *ip, uint16_t port,
		    uint32_t scope_id);
/** The wildcard address of a family ("0.0.0.0" or "::") with a port. */
socklen_t addr_any(struct sockaddr_storage *ss, int family, uint16_t port);
/**
 * Parse an IP literal (IPv4 first, then IPv6, as addr_is_ip) into a
 * sockaddr with the port. Returns its length, or 0 if s is no IP literal
 * (ss is zeroed either way).
 */
socklen_t addr_from_string(struct sockaddr_storage *ss, const char *s, uint16_t port);
/**
 * This host's IPv4 and IPv6 addresses (getifaddrs), each with port, into
 * out (at most cap). Returns how many; 0 if they cannot be read.
 */
size_t addr_local_endpoints(struct sockaddr_storage *out, size_t cap, uint16_t port);
