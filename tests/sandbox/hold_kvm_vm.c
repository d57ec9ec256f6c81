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
 * such keys (preempt notifiers), and so do a local APIC's first software
 * and hardware disable and its last enable (KVM's apic_sw_disabled and
 * apic_hw_disabled keys). With this VM alive, holding one APIC disabled
 * both ways, every test's VMs come and go without patching any text.
 *
 * The VM has an in-kernel irqchip and one vCPU that never runs. The program
 * forks: the parent exits 0 once the VM exists, the child keeps the
 * descriptors open and sleeps.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
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
    if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
        return fail("hold-kvm-vm: KVM_CREATE_IRQCHIP");
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        return fail("hold-kvm-vm: KVM_CREATE_VCPU");
    /* Its APIC starts software-disabled; clearing IA32_APIC_BASE's enable
     * bit (11) disables it in hardware as well. */
    struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + sizeof(struct kvm_msr_entry));
    if (!msrs)
        return fail("hold-kvm-vm: calloc");
    msrs->nmsrs = 1;
    msrs->entries[0].index = 0x1b;              /* IA32_APIC_BASE */
    msrs->entries[0].data = 0xfee00000 | 0x100; /* default base, BSP, disabled */
    if (ioctl(vcpu, KVM_SET_MSRS, msrs) != 1)
        return fail("hold-kvm-vm: KVM_SET_MSRS(IA32_APIC_BASE)");
    free(msrs);

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
