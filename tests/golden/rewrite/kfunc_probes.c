#include <linux/fs.h>

KFUNC_PROBE(vfs_read, struct file *file, char *buf, size_t count)
{
	bpf_trace_printk("read %lu", count);
	return 0;
}

KRETFUNC_PROBE(vfs_write, struct file *file, const char *buf, size_t count, loff_t *pos, ssize_t ret)
{
	return 0;
}

LSM_PROBE(file_open, struct file *file)
{
	return 0;
}
