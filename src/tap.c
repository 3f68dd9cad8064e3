#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vnet.h"

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	if (ioctl(s, req, ifr) < 0)
		r = -errno;
	close(s);
	return r;
}

static int configure(struct tap *t, const uint8_t mac[MAC_LEN], unsigned mtu, const char **why)
{
	struct ifreq ifr;
	int r;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
	/* set only what differs: after a re-exec we may lack CAP_NET_ADMIN */
	if (ifreq_ioctl(SIOCGIFHWADDR, &ifr) < 0 || memcmp(ifr.ifr_hwaddr.sa_data, mac, MAC_LEN)) {
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, mac, MAC_LEN);
		if ((r = ifreq_ioctl(SIOCSIFHWADDR, &ifr)) < 0) {
			*why = "set the MAC address";
			return r;
		}
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
	if (ifreq_ioctl(SIOCGIFMTU, &ifr) < 0 || ifr.ifr_mtu != (int)mtu) {
		ifr.ifr_mtu = (int)mtu;
		if ((r = ifreq_ioctl(SIOCSIFMTU, &ifr)) < 0) {
			*why = "set the MTU";
			return r;
		}
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
	if ((r = ifreq_ioctl(SIOCGIFFLAGS, &ifr)) < 0) {
		*why = "read the interface flags";
		return r;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if ((r = ifreq_ioctl(SIOCSIFFLAGS, &ifr)) < 0) {
			*why = "bring the interface up";
			return r;
		}
	}
	memcpy(t->mac, mac, MAC_LEN);
	t->mtu = mtu;
	return 0;
}

int tap_adopt(struct tap *t, int fd, const uint8_t mac[MAC_LEN], unsigned mtu, const char **why)
{
	struct ifreq ifr;
	int r;

	memset(t, 0, sizeof(*t));
	t->fd = fd;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		*why = "TUNGETIFF (the kept TAP fd)";
		t->fd = -1;
		return -errno;
	}
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->vnet = (ifr.ifr_flags & IFF_VNET_HDR) != 0;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	r = configure(t, mac, mtu, why);
	if (r < 0) {
		close(fd);
		t->fd = -1;
	}
	return r;
}

int tap_open(struct tap *t, const char *name_template, const uint8_t mac[MAC_LEN], unsigned mtu,
	     bool offload, const char **why)
{
	struct ifreq ifr;
	int r;

	memset(t, 0, sizeof(*t));
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		*why = "open /dev/net/tun";
		return -errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name_template);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		*why = "TUNSETIFF (create the interface)";
		goto fail;
	}
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->vnet = offload;
	/* the kernel may now hand us TCP super-frames and leave checksums to us */
	if (offload &&
	    ioctl(t->fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN) < 0) {
		r = -errno;
		*why = "TUNSETOFFLOAD";
		goto fail;
	}
	if ((r = configure(t, mac, mtu, why)) < 0)
		goto fail;
	return 0;
fail:
	close(t->fd);
	t->fd = -1;
	return r;
}

void tap_close(struct tap *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

ssize_t tap_read(struct tap *t, uint8_t *buf, size_t cap)
{
	ssize_t n = read(t->fd, buf, cap);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	return n;
}

int tap_write(struct tap *t, const uint8_t *vhdr, const uint8_t *frame, size_t len)
{
	static const uint8_t plain[VNET_HDR_LEN];
	struct iovec iov[2] = {
		{.iov_base = (void *)(uintptr_t)(vhdr ? vhdr : plain), .iov_len = VNET_HDR_LEN},
		{.iov_base = (void *)(uintptr_t)frame, .iov_len = len},
	};

	if (t->vnet ? writev(t->fd, iov, 2) < 0 : write(t->fd, frame, len) < 0)
		return -errno;
	return 0;
}
