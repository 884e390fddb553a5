// SPDX-License-Identifier: MIT
/*
 * Programs on perf events (sampling a software clock, hardware counters):
 * one event per online CPU unless narrowed to one CPU or one process, each
 * a libbpf perf link; the set is recorded as one attachment so that it
 * detaches as one.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "loader/attach.h"
#include "loader/libbpf_log.h"

struct perf_links {
	size_t cnt;
	struct bpf_link *links[];
};

static void destroy_links(void *data)
{
	struct perf_links *pl = data;

	for (size_t i = 0; i < pl->cnt; i++)
		bpf_link__destroy(pl->links[i]);
	free(pl);
}

/* Online CPUs from "0-3,6" in sysfs; *cpus is malloc'd. */
static int online_cpus(int **cpus)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	int a, b, n = 0, cap = 0, *v = NULL;
	char sep;

	if (!f)
		return -errno;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		sep = (char)fgetc(f);
		if (sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			sep = (char)fgetc(f);
		}
		for (; a <= b; a++) {
			if (n == cap) {
				int *nv;

				cap = cap ? cap * 2 : 16;
				nv = realloc(v, (size_t)cap * sizeof(*v));
				if (!nv) {
					free(v);
					fclose(f);
					return -ENOMEM;
				}
				v = nv;
			}
			v[n++] = a;
		}
		if (sep != ',')
			break;
	}
	fclose(f);
	if (!n) {
		free(v);
		return -ENOENT;
	}
	*cpus = v;
	return n;
}

static const char *event_name(uint32_t type, uint64_t config)
{
	static const char *const sw[] = {
		"cpu-clock",	    "task-clock",
		"page-faults",	    "context-switches",
		"cpu-migrations",   "minor-faults",
		"major-faults",	    "alignment-faults",
		"emulation-faults", "dummy",
		"bpf-output",
	};
	static const char *const hw[] = {
		"cycles",	"instructions",	       "cache-references",
		"cache-misses", "branch-instructions", "branch-misses",
		"bus-cycles",
	};

	if (type == PERF_TYPE_SOFTWARE && config < sizeof(sw) / sizeof(*sw))
		return sw[config];
	if (type == PERF_TYPE_HARDWARE && config < sizeof(hw) / sizeof(*hw))
		return hw[config];
	return NULL;
}

static int open_error(int err, const struct perf_event_attr *attr, int cpu,
		      const char *fn_name, const char *what)
{
	const char *hint = "";

	if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV)
		hint = attr->type == PERF_TYPE_HARDWARE ||
				       attr->type == PERF_TYPE_HW_CACHE
			       ? ": this machine has no such hardware counter "
				 "(virtual machines often have none; use a "
				 "software event such as cpu-clock)"
			       : ": the kernel does not know this event";
	else if (err == EACCES || err == EPERM)
		hint = ": perf events of every process need CAP_PERFMON or "
		       "CAP_SYS_ADMIN (see also "
		       "/proc/sys/kernel/perf_event_paranoid)";
	else if (err == EINVAL && attr->freq)
		hint = ": the frequency may be above "
		       "/proc/sys/kernel/perf_event_max_sample_rate";
	return ember__error(err,
			    "cannot attach '%s' to %s: opening the event "
			    "on CPU %d failed (%s)%s",
			    fn_name, what, cpu, strerror(err), hint);
}

static int attach_events(struct ember_module *m, const char *fn_name,
			 const struct perf_event_attr *attr, int pid, int cpu,
			 const char *desc, struct ember_link **out)
{
	struct perf_links *pl = NULL;
	struct ember_prog *p;
	int *cpus = NULL, one = cpu, n, i, err;
	char what[256];

	if (cpu >= 0 || pid > 0) {
		cpus = &one; /* with a pid alone: wherever it runs (-1) */
		n = 1;
	} else {
		n = online_cpus(&cpus);
		if (n < 0)
			return ember__error(-n,
					    "cannot list the online CPUs: %s",
					    strerror(-n));
	}
	if (cpu >= 0)
		snprintf(what, sizeof(what), "perf_event %s on CPU %d", desc,
			 cpu);
	else if (pid > 0)
		snprintf(what, sizeof(what), "perf_event %s", desc);
	else
		snprintf(what, sizeof(what), "perf_event %s on %d CPUs", desc,
			 n);
	if (pid > 0)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 " (pid %d)", pid);
	err = ember__attach_prepare(m, fn_name, BPF_PROG_TYPE_PERF_EVENT, what,
				    &p);
	if (err)
		goto out;
	pl = calloc(1, sizeof(*pl) + (size_t)n * sizeof(pl->links[0]));
	if (!pl) {
		err = ember__error(ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct bpf_link *l;
		int pfd = (int)syscall(__NR_perf_event_open, attr,
				       pid > 0 ? pid : -1, cpus[i], -1,
				       PERF_FLAG_FD_CLOEXEC);

		if (pfd < 0) {
			err = open_error(errno, attr, cpus[i], fn_name, what);
			goto out;
		}
		ember__libbpf_log_begin(m->log, m->log_ctx);
		l = bpf_program__attach_perf_event(p->prog, pfd);
		if (!l) {
			int e = errno;

			close(pfd);
			errno = e;
			err = ember__attach_record(m, p, NULL, what, NULL);
			goto out;
		}
		ember__libbpf_log_end();
		pl->links[pl->cnt++] = l; /* the link owns pfd now */
	}
	ember__module_logf(m, EMBER_LOG_DEBUG, "attached '%s' to %s", fn_name,
			   what);
	err = ember__module_add_attachment(m, NULL, destroy_links, pl, what,
					   fn_name, out);
	pl = NULL;
out:
	if (pl)
		destroy_links(pl);
	if (cpus != &one)
		free(cpus);
	return err;
}

int ember_module_attach_perf_event(struct ember_module *m, const char *fn_name,
				   uint32_t type, uint64_t config,
				   const struct ember_perf_event_opts *opts,
				   struct ember_link **link)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	struct ember_perf_event_opts o;
	const char *name = event_name(type, config);
	char desc[128];
	int err, n;

	err = EMBER_OPTS_COPY(o, opts, "ember_perf_event_opts");
	if (err)
		return err;
	if (!o.sample_period == !o.sample_freq)
		return ember__error(EINVAL, "perf event: set exactly one of "
					    "sample_period and sample_freq");
	if (o.cpu < 0 || o.pid < 0)
		return ember__error(EINVAL, "perf event: bad cpu or pid");
	attr.type = type;
	attr.config = config;
	if (o.sample_freq) {
		attr.freq = 1;
		attr.sample_freq = o.sample_freq;
	} else {
		attr.sample_period = o.sample_period;
	}
	n = name ? snprintf(desc, sizeof(desc), "%s:%s",
			    type == PERF_TYPE_SOFTWARE ? "software"
						       : "hardware",
			    name)
		 : snprintf(desc, sizeof(desc), "type %u config 0x%llx", type,
			    (unsigned long long)config);
	snprintf(desc + n, sizeof(desc) - (size_t)n, " %s %llu",
		 o.sample_freq ? "freq" : "period",
		 (unsigned long long)(o.sample_freq ? o.sample_freq
						    : o.sample_period));
	return attach_events(m, fn_name, &attr, o.pid, o.cpu - 1, desc, link);
}

int ember_module_attach_perf_event_raw(struct ember_module *m,
				       const char *fn_name,
				       const struct perf_event_attr *attr,
				       int pid, int cpu,
				       struct ember_link **link)
{
	struct perf_event_attr a = { 0 };
	const char *name;
	char desc[128];

	if (!attr || attr->size < PERF_ATTR_SIZE_VER0)
		return ember__error(EINVAL, "perf_event_attr with its size set "
					    "needed");
	/* A newer caller's attr may be longer: the kernel reads attr->size
	 * bytes, but we copy what we know and say so in size. */
	memcpy(&a, attr, attr->size < sizeof(a) ? attr->size : sizeof(a));
	if (attr->size > sizeof(a))
		a.size = sizeof(a);
	name = event_name(a.type, a.config);
	if (name)
		snprintf(desc, sizeof(desc), "%s:%s",
			 a.type == PERF_TYPE_SOFTWARE ? "software" : "hardware",
			 name);
	else
		snprintf(desc, sizeof(desc), "type %u config 0x%llx", a.type,
			 (unsigned long long)a.config);
	return attach_events(m, fn_name, &a, pid > 0 ? pid : 0,
			     cpu >= 0 ? cpu : -1, desc, link);
}
