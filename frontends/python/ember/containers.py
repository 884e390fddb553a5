"""bcc.containers: program text that filters events by container, from
the --cgroupmap / --mntnsmap options BCC's tools take (pinned maps of
cgroup ids or mount namespace ids that the user fills)."""

__all__ = ["filter_by_containers"]


def _cgroup_text(path):
    return """
BPF_TABLE_PINNED("hash", u64, u64, cgroupset, 1024, "%s");
static inline int _ember_cgroup_filtered(void)
{
    u64 id = bpf_get_current_cgroup_id();
    return cgroupset.lookup(&id) == NULL;
}
""" % path


def _mntns_text(path):
    return """
#include <linux/nsproxy.h>
#include <linux/mount.h>
#include <linux/ns_common.h>
struct mnt_namespace {
    struct ns_common ns;
};
BPF_TABLE_PINNED("hash", u64, u32, mount_ns_set, 1024, "%s");
static inline int _ember_mntns_filtered(void)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    u64 inum = task->nsproxy->mnt_ns->ns.inum;
    return mount_ns_set.lookup(&inum) == NULL;
}
""" % path


def filter_by_containers(args):
    """Text to put before a tool's program: it defines
    container_should_be_filtered(), true for events outside the
    containers named by args.cgroupmap / args.mntnsmap ("" when neither
    is set and the function is not needed)."""
    cg = getattr(args, "cgroupmap", None)
    mn = getattr(args, "mntnsmap", None)
    text, tests = "", []
    if cg:
        text += _cgroup_text(cg)
        tests.append("_ember_cgroup_filtered()")
    if mn:
        text += _mntns_text(mn)
        tests.append("_ember_mntns_filtered()")
    text += """
static inline int container_should_be_filtered(void)
{
    return %s;
}
""" % (" || ".join(tests) or "0")
    return text
