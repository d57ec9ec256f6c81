/*
 * hold-kvm-vm: keeps one idle KVM VM alive for the life of the kvm-sandbox
 * VM (its /init starts this once, after loading the kvm modules).
 *
 * Why: the sandbox runs KVM inside QEMU's TCG emulator, whose multi-threaded
 * mode sometimes misses cross-modifying code. Whenever a static key flips,
 * Linux patches its own text with an int3 first (text_poke_bp); a sandbox
 * CPU can then keep executing the stale int3 and loop in asm_exc_int3 for
 * ever: the whole sandbox VM hangs, or reports a soft lockup (seen in CI,
 * docs/testing.md). Creating the first VM and destroying the last one flip
 * the scheduler's preempt-notifier key, checked at every context switch;
 * with this VM alive, the tests' VMs come and go without that patching.
 *
 * Only a VM, on purpose: a version that also held a vCPU with its local
 * APIC disabled (to pin KVM's APIC keys too) made virtio_net hang or panic
 * the sandbox in 3 of about 9 runs, and none in 12 runs without it.
 *
 * The program forks: the parent exits 0 once the VM exists, the child
 * keeps the descriptor open and sleeps.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(const char *what)
{
    perror(what);
    return 1;
}

int main(void)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        return fail("hold-kvm-vm: /dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return fail("hold-kvm-vm: KVM_CREATE_VM");
    pid_t child = fork();
    if (child < 0)
        return fail("hold-kvm-vm: fork");
    if (child > 0)
        return 0;
    /* The child: hold the VM until the sandbox VM powers off. */
    setsid();
    for (;;)
        pause();
}
