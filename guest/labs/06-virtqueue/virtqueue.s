# Lab 6 - a virtqueue by hand. The handout: docs/labs/06-virtqueue.md.
#
# Berth starts this at 0x100000 in 32-bit protected mode, paging off
# (`--mode protected --irqchip kernel --rng`). With no operating system and
# no firmware, it drives Berth's virtio-rng device the way Linux's
# virtio_pci and virtio_rng drivers do. The § numbers are the virtio 1.2
# specification's (virtio 1.1 numbers the split virtqueue sections 2.6.x):
#   - find the device on PCI bus 0 (configuration mechanism #1, ports
#     0xcf8/0xcfc): vendor 0x1af4, device 0x1044 = 0x1040 + type 4 (entropy);
#   - walk its capability list for the virtio structures (§4.1.4): the
#     common configuration (cfg_type 1) and the notification area (2);
#   - enable memory decoding in the PCI command register;
#   - initialise the device (§3.1.1): reset, ACKNOWLEDGE, DRIVER, features
#     (VIRTIO_F_VERSION_1 only), FEATURES_OK, read it back;
#   - set up queue 0, a split virtqueue (§2.7) in guest RAM: descriptor
#     table, available ring, used ring; queue_enable; DRIVER_OK;
#   - put one 16-byte device-writable buffer in the ring, notify the device
#     (§4.1.5.2), poll the used ring until the device hands it back, and
#     print the bytes it wrote.
#
# Expected output (the last line's bytes differ every run):
#   virtio-rng at 00:01.0
#   common cfg at 0xe0000000, notify at 0xe0003000 (multiplier 4)
#   features ok
#   queue 0: size 256
#   got 16 bytes: 5e 0c a1 ... (16 bytes in hex)
# then Berth exits with status 0 (port 0xf4). Errors exit with status 1 to 5.
#
# Everything virtio defines is little-endian, like x86, so plain `mov`s
# read and write it.

# --- PCI configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2) --------
        .set    PCI_CONFIG_ADDRESS, 0xcf8  # write: 0x80000000 | bus<<16 | dev<<11 | fn<<8 | reg
        .set    PCI_CONFIG_DATA, 0xcfc     # then read or write the register here
        .set    PCI_ENABLE, 0x80000000
        .set    PCI_ID, 0x00            # vendor (low 16 bits), device (high 16 bits)
        .set    PCI_COMMAND, 0x04       # 16 bits; the status register is the next 16
        .set    PCI_BAR0, 0x10          # BAR n at 0x10 + 4 * n
        .set    PCI_CAP_POINTER, 0x34   # the first capability's offset
        .set    PCI_STATUS_CAP_LIST, 1 << (4 + 16)  # status bit 4, as seen in the dword at 0x04
        .set    PCI_COMMAND_MEMORY, 1 << 1  # decode the memory BARs
        .set    PCI_COMMAND_MASTER, 1 << 2  # the device may access RAM (the rings)
        .set    VIRTIO_RNG_ID, 0x10441af4   # device 0x1044, vendor 0x1af4

# --- Virtio PCI capabilities (§4.1.4) --------------------------------------
#   +0 cap_vndr (0x09)  +1 cap_next  +2 cap_len  +3 cfg_type
#   +4 bar  +5 id  +6 padding  +8 offset (le32)  +12 length (le32)
#   and for the notification capability, +16 notify_off_multiplier (le32)
        .set    PCI_CAP_ID_VENDOR, 0x09
        .set    VIRTIO_PCI_CAP_COMMON_CFG, 1
        .set    VIRTIO_PCI_CAP_NOTIFY_CFG, 2

# --- struct virtio_pci_common_cfg (§4.1.4.3): offsets and widths ----------
        .set    COMMON_DFSELECT, 0x00   # le32 device_feature_select
        .set    COMMON_DF, 0x04         # le32 device_feature (read-only)
        .set    COMMON_GFSELECT, 0x08   # le32 driver_feature_select
        .set    COMMON_GF, 0x0c         # le32 driver_feature
        .set    COMMON_STATUS, 0x14     # u8   device_status
        .set    COMMON_Q_SELECT, 0x16   # le16 queue_select
        .set    COMMON_Q_SIZE, 0x18     # le16 queue_size
        .set    COMMON_Q_MSIX, 0x1a     # le16 queue_msix_vector
        .set    COMMON_Q_ENABLE, 0x1c   # le16 queue_enable
        .set    COMMON_Q_NOFF, 0x1e     # le16 queue_notify_off (read-only)
        .set    COMMON_Q_DESCLO, 0x20   # le64 queue_desc, as two le32 halves
        .set    COMMON_Q_DESCHI, 0x24
        .set    COMMON_Q_AVAILLO, 0x28  # le64 queue_driver: the available ring
        .set    COMMON_Q_AVAILHI, 0x2c
        .set    COMMON_Q_USEDLO, 0x30   # le64 queue_device: the used ring
        .set    COMMON_Q_USEDHI, 0x34
        .set    VIRTIO_MSI_NO_VECTOR, 0xffff

# --- Device status bits (§2.1) and the one feature we want (§6) ------------
        .set    STATUS_ACKNOWLEDGE, 1
        .set    STATUS_DRIVER, 2
        .set    STATUS_DRIVER_OK, 4
        .set    STATUS_FEATURES_OK, 8
        .set    STATUS_NEEDS_RESET, 0x40
        .set    STATUS_FAILED, 0x80
        .set    VIRTIO_F_VERSION_1_HIGH, 1  # feature bit 32: bit 0 of the high dword

# --- The split virtqueue (§2.7), one 4 KiB page per area -------------------
# A page holds 256 descriptors (16 bytes each), an available ring of up to
# 2047 entries (6 + 2 * size bytes) or a used ring of up to 511 (6 + 8 *
# size), so QUEUE_SIZE_MAX = 256 fits all three. RAM above the image is ours.
        .set    DESC_TABLE, 0x200000    # struct virtq_desc[size]; 16-byte aligned
        .set    AVAIL_RING, 0x201000    # struct virtq_avail; 2-byte aligned
        .set    USED_RING, 0x202000     # struct virtq_used; 4-byte aligned
        .set    BUFFER, 0x203000        # what the device fills in
        .set    BUFFER_SIZE, 16
        .set    QUEUE_SIZE_MAX, 256
        # struct virtq_desc: le64 addr; le32 len; le16 flags; le16 next
        .set    DESC_ADDR, 0
        .set    DESC_LEN, 8
        .set    DESC_FLAGS, 12
        .set    DESC_NEXT, 14
        .set    VIRTQ_DESC_F_WRITE, 2   # the device writes this buffer
        # struct virtq_avail: le16 flags; le16 idx; le16 ring[size]; (le16 used_event)
        .set    AVAIL_FLAGS, 0
        .set    AVAIL_IDX, 2
        .set    AVAIL_RING_ENTRIES, 4
        .set    VIRTQ_AVAIL_F_NO_INTERRUPT, 1  # we poll: no used-buffer interrupts
        # struct virtq_used: le16 flags; le16 idx; struct { le32 id; le32 len; } ring[size]
        .set    USED_IDX, 2
        .set    USED_RING_ENTRIES, 4
        .set    USED_ELEM_ID, 0         # the head of the chain the device used
        .set    USED_ELEM_LEN, 4        # how many bytes it wrote into the chain

# How long to wait for the device, in TSC ticks (about 5 to 10 s on current
# hosts). The device runs on another host thread: how soon it answers is up
# to the host's scheduler, not to how many times we look.
        .set    POLL_TSC_TICKS_HIGH, 4  # 4 << 32 ticks

        .code32
        .text
        .globl start
start:
        cli
        mov     $0x8ff0, %esp
        cld

# 1. Find the device: try every slot of bus 0. An empty slot reads all ones.
        mov     $PCI_ENABLE, %ebx       # EBX: bus 0, device 0, function 0
next_slot:
        mov     $PCI_ID, %ecx
        call    pci_read32
        cmp     $VIRTIO_RNG_ID, %eax
        je      found_device
        add     $(1 << 11), %ebx        # the next device number
        cmp     $(PCI_ENABLE + (32 << 11)), %ebx
        jb      next_slot
        mov     $no_device_message, %esi
        mov     $1, %al
        jmp     fail

found_device:
        mov     $found_message, %esi
        call    print
        mov     %ebx, %eax
        shr     $11, %eax
        and     $0x1f, %eax             # the device number
        call    print_hex8
        mov     $function_message, %esi
        call    print

# 2. Walk the capability list (PCI 3.0 §6.7) for the two virtio structures
#    we need. A list must not be trusted to end: give up after 48 entries
#    (that many 4-byte capabilities fill the 192 bytes after the header).
        mov     $PCI_COMMAND, %ecx
        call    pci_read32
        test    $PCI_STATUS_CAP_LIST, %eax
        jz      no_capabilities
        mov     $PCI_CAP_POINTER, %ecx
        call    pci_read32
        movzbl  %al, %ecx
        mov     $48, %edi               # entries left to look at
next_capability:
        and     $0xfc, %ecx             # the bottom two bits are reserved
        jz      capabilities_done
        dec     %edi
        jz      capabilities_done
        call    pci_read32              # AL id, AH next, bits 31:24 cfg_type
        cmp     $PCI_CAP_ID_VENDOR, %al
        jne     1f
        mov     %eax, %edx
        shr     $24, %edx               # cfg_type
        # §4.1.4: a driver uses the first capability of each type it knows.
        cmp     $VIRTIO_PCI_CAP_COMMON_CFG, %edx
        jne     2f
        cmpl    $0, common_cap
        jne     1f
        mov     %ecx, common_cap
        jmp     1f
2:      cmp     $VIRTIO_PCI_CAP_NOTIFY_CFG, %edx
        jne     1f
        cmpl    $0, notify_cap
        jne     1f
        mov     %ecx, notify_cap
1:      movzbl  %ah, %ecx               # cap_next
        jmp     next_capability
capabilities_done:
        cmpl    $0, common_cap
        je      no_capabilities
        cmpl    $0, notify_cap
        je      no_capabilities

        # Where each structure is: its BAR's address plus its offset.
        mov     common_cap, %ecx
        call    capability_address
        mov     %eax, common_cfg
        mov     notify_cap, %ecx
        call    capability_address
        mov     %eax, notify_base
        mov     notify_cap, %ecx
        add     $16, %ecx               # notify_off_multiplier
        call    pci_read32
        mov     %eax, notify_multiplier

        # Berth, like a PC's firmware, has placed the BARs (devices/pci/
        # pci_bus.cpp) but left the command register 0: no access to the
        # BAR reaches the device until we enable memory decoding. Bus
        # mastering lets the device read and write RAM (the rings).
        mov     $PCI_COMMAND, %ecx
        call    pci_read32
        or      $(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), %eax
        call    pci_write16

        mov     $common_message, %esi
        call    print
        mov     common_cfg, %eax
        call    print_hex32
        mov     $notify_message, %esi
        call    print
        mov     notify_base, %eax
        call    print_hex32
        mov     $multiplier_message, %esi
        call    print
        mov     notify_multiplier, %eax
        call    print_decimal
        mov     $close_paren_message, %esi
        call    print

# 3. Initialise the device (§3.1.1). EBX points at the common configuration
#    from here on; every access to it is an MMIO exit to Berth.
        mov     common_cfg, %ebx
        # Reset: write 0, then wait until device_status reads 0 (§2.4).
        movb    $0, COMMON_STATUS(%ebx)
        mov     $1000, %ecx
1:      cmpb    $0, COMMON_STATUS(%ebx)
        je      2f
        loop    1b
        mov     $reset_message, %esi
        jmp     device_failed
2:      movb    $STATUS_ACKNOWLEDGE, COMMON_STATUS(%ebx)  # we saw the device
        movb    $(STATUS_ACKNOWLEDGE | STATUS_DRIVER), COMMON_STATUS(%ebx)  # and can drive it

        # Features (§2.2): 64 bits, read and written 32 at a time through a
        # select register. We want VIRTIO_F_VERSION_1 (bit 32: this is a
        # virtio 1.x device, not a legacy one) and nothing else.
        movl    $1, COMMON_DFSELECT(%ebx)
        testl   $VIRTIO_F_VERSION_1_HIGH, COMMON_DF(%ebx)
        jnz     1f
        mov     $version_message, %esi
        jmp     device_failed
1:      movl    $0, COMMON_GFSELECT(%ebx)
        movl    $0, COMMON_GF(%ebx)     # bits 0-31: none
        movl    $1, COMMON_GFSELECT(%ebx)
        movl    $VIRTIO_F_VERSION_1_HIGH, COMMON_GF(%ebx)  # bits 32-63: VERSION_1
        movb    $(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK), COMMON_STATUS(%ebx)
        # The device may refuse the set we chose: read FEATURES_OK back.
        testb   $STATUS_FEATURES_OK, COMMON_STATUS(%ebx)
        jnz     1f
        mov     $features_message, %esi
        jmp     device_failed
1:      mov     $features_ok_message, %esi
        call    print

# 4. Set up queue 0 (§4.1.5.1.3). First clear the rings: the device reads
#    the available ring's flags and idx, which must start at 0.
        mov     $DESC_TABLE, %edi
        xor     %eax, %eax
        mov     $(4 * 4096 / 4), %ecx   # the three ring pages and the buffer's
        rep stosl

        movw    $0, COMMON_Q_SELECT(%ebx)       # the next registers are queue 0's
        movzwl  COMMON_Q_SIZE(%ebx), %eax       # the largest size the device allows
        test    %eax, %eax
        jnz     1f
        mov     $no_queue_message, %esi
        jmp     device_failed
1:      cmp     $QUEUE_SIZE_MAX, %eax   # a smaller power of two is fine too
        jbe     2f
        mov     $QUEUE_SIZE_MAX, %eax
        movw    %ax, COMMON_Q_SIZE(%ebx)
2:      mov     %eax, queue_size
        movl    $DESC_TABLE, COMMON_Q_DESCLO(%ebx)
        movl    $0, COMMON_Q_DESCHI(%ebx)
        movl    $AVAIL_RING, COMMON_Q_AVAILLO(%ebx)
        movl    $0, COMMON_Q_AVAILHI(%ebx)
        movl    $USED_RING, COMMON_Q_USEDLO(%ebx)
        movl    $0, COMMON_Q_USEDHI(%ebx)
        movw    $VIRTIO_MSI_NO_VECTOR, COMMON_Q_MSIX(%ebx)  # no interrupt: we poll
        movzwl  COMMON_Q_NOFF(%ebx), %eax
        mov     %eax, queue_notify_off
        movw    $1, COMMON_Q_ENABLE(%ebx)

        mov     $queue_message, %esi
        call    print
        mov     queue_size, %eax
        call    print_decimal
        mov     $'\n', %al
        call    print_char

        # The driver is ready: DRIVER_OK. Berth checks the queue's set-up
        # now; if it disliked anything it sets DEVICE_NEEDS_RESET.
        mov     $(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK), %al
        or      $STATUS_DRIVER_OK, %al
        movb    %al, COMMON_STATUS(%ebx)
        movb    COMMON_STATUS(%ebx), %al
        test    $STATUS_NEEDS_RESET, %al
        jnz     1f
        test    $STATUS_DRIVER_OK, %al
        jnz     2f
1:      mov     $needs_reset_message, %esi
        jmp     device_failed
2:

# 5. One request (§2.7.13 "Supplying Buffers to The Device"). Descriptor 0
#    describes the buffer; WRITE because the device writes into it.
        movl    $BUFFER, DESC_TABLE + DESC_ADDR
        movl    $0, DESC_TABLE + DESC_ADDR + 4
        movl    $BUFFER_SIZE, DESC_TABLE + DESC_LEN
        movw    $VIRTQ_DESC_F_WRITE, DESC_TABLE + DESC_FLAGS  # no NEXT: a chain of one
        movw    $0, DESC_TABLE + DESC_NEXT
        # Publish the chain's head in the available ring: entry idx % size,
        # here entry 0. Only then advance idx; the device may look at the
        # ring at any moment and trusts every entry below idx. (x86 does not
        # reorder stores with other stores; other CPUs need a write barrier
        # here, Linux's virtio_wmb().)
        movw    $VIRTQ_AVAIL_F_NO_INTERRUPT, AVAIL_RING + AVAIL_FLAGS
        movw    $0, AVAIL_RING + AVAIL_RING_ENTRIES     # ring[0] = descriptor 0
        movw    $1, AVAIL_RING + AVAIL_IDX              # one entry added

        # Notify (§4.1.5.2): write the queue's index, 16 bits, at
        # notify_base + queue_notify_off * notify_off_multiplier. Berth
        # registered a KVM ioeventfd there, so this store does not exit to
        # Berth: KVM signals an eventfd and the vCPU goes straight on.
        mov     queue_notify_off, %eax
        mull    notify_multiplier
        add     notify_base, %eax
        movw    $0, (%eax)              # queue 0

        # Poll the used ring until the device has added our buffer: its idx
        # goes from 0 to 1. Give up after POLL_TSC_TICKS_HIGH << 32 ticks.
        rdtsc
        add     $POLL_TSC_TICKS_HIGH, %edx
        mov     %eax, %esi              # ESI:EDI = when to give up
        mov     %edx, %edi
1:      cmpw    $1, USED_RING + USED_IDX
        je      2f
        pause
        rdtsc
        cmp     %edi, %edx
        jb      1b
        ja      3f
        cmp     %esi, %eax
        jb      1b
3:      mov     $timeout_message, %esi
        mov     $4, %al
        jmp     fail

        # Used element 0: which chain (its head, descriptor 0) and how many
        # bytes the device wrote into it. (x86 does not reorder loads with
        # other loads; other CPUs need a read barrier between reading idx
        # and the element, Linux's virtio_rmb().)
2:      cmpl    $0, USED_RING + USED_RING_ENTRIES + USED_ELEM_ID
        je      1f
        mov     $used_id_message, %esi
        mov     $5, %al
        jmp     fail
1:      mov     USED_RING + USED_RING_ENTRIES + USED_ELEM_LEN, %ecx
        cmp     $BUFFER_SIZE, %ecx
        jbe     1f
        mov     $used_len_message, %esi
        mov     $5, %al
        jmp     fail
1:      mov     $BUFFER, %esi
        call    print_got_bytes

        mov     $0, %al
        outb    %al, $0xf4              # exit status 0
        hlt

no_capabilities:
        mov     $capabilities_message, %esi
        mov     $2, %al
        jmp     fail

# device_failed: tell the device we gave up (FAILED, §2.1), print ESI and
# exit with status 3. EBX: the common configuration.
device_failed:
        orb     $STATUS_FAILED, COMMON_STATUS(%ebx)
        mov     $3, %al
# fail: print the message at ESI, exit with status AL.
fail:
        mov     %al, %bl
        call    print
        mov     %bl, %al
        outb    %al, $0xf4
        hlt

# --- PCI configuration space ------------------------------------------------

# pci_read32: EAX = the dword at register ECX (a multiple of 4) of the
# function whose CONFIG_ADDRESS base is in EBX.
pci_read32:
        push    %edx
        mov     %ebx, %eax
        or      %ecx, %eax
        mov     $PCI_CONFIG_ADDRESS, %dx
        outl    %eax, %dx
        mov     $PCI_CONFIG_DATA, %dx
        inl     %dx, %eax
        pop     %edx
        ret

# pci_write16: writes AX to the 16-bit register ECX (dword aligned) of the
# function at EBX, without touching the 16 bits above it.
pci_write16:
        push    %edx
        push    %eax
        mov     %ebx, %eax
        or      %ecx, %eax
        mov     $PCI_CONFIG_ADDRESS, %dx
        outl    %eax, %dx
        pop     %eax
        mov     $PCI_CONFIG_DATA, %dx
        outw    %ax, %dx
        pop     %edx
        ret

# capability_address: EAX = the guest-physical address of the structure the
# virtio capability at ECX describes (its BAR's address + its offset).
# EBX: the function. Only 32-bit addresses: a 64-bit BAR must be below 4 GiB.
capability_address:
        push    %ecx
        push    %edx
        push    %esi
        add     $4, %ecx
        call    pci_read32              # AL: bar
        movzbl  %al, %edx
        add     $4, %ecx
        call    pci_read32              # offset
        mov     %eax, %esi
        cmp     $5, %edx
        ja      bad_bar
        lea     PCI_BAR0(,%edx,4), %ecx
        call    pci_read32
        test    $1, %eax
        jnz     bad_bar                 # an I/O BAR
        mov     %eax, %edx
        and     $6, %edx
        cmp     $4, %edx                # type 2: a 64-bit BAR, upper half next
        jne     1f
        push    %eax
        add     $4, %ecx
        call    pci_read32
        test    %eax, %eax
        pop     %eax
        jnz     bad_bar                 # above 4 GiB: out of a 32-bit guest's reach
1:      and     $0xfffffff0, %eax       # the address, without the type bits
        add     %esi, %eax
        pop     %esi
        pop     %edx
        pop     %ecx
        ret
bad_bar:
        mov     $bar_message, %esi
        mov     $2, %al
        jmp     fail

# --- Printing on the debug console (port 0xe9) ------------------------------

# print: the zero-terminated string at ESI.
print:
        push    %eax
1:      lodsb
        test    %al, %al
        jz      2f
        outb    %al, $0xe9
        jmp     1b
2:      pop     %eax
        ret

print_char:                             # AL
        outb    %al, $0xe9
        ret

# print_got_bytes: "got N bytes: xx xx ...", the ECX bytes at ESI in hex.
print_got_bytes:
        push    %eax
        push    %ecx
        push    %esi
        mov     $got_message, %esi
        call    print
        mov     %ecx, %eax
        call    print_decimal
        mov     $bytes_message, %esi
        call    print
        pop     %esi
        push    %esi
        jecxz   2f
1:      mov     $' ', %al
        call    print_char
        lodsb
        call    print_hex8
        loop    1b
2:      mov     $'\n', %al
        call    print_char
        pop     %esi
        pop     %ecx
        pop     %eax
        ret

# print_hex8: AL as two hex digits.
print_hex8:
        push    %eax
        shr     $4, %al
        call    print_nibble
        pop     %eax
        push    %eax
        call    print_nibble
        pop     %eax
        ret
print_nibble:                           # the low 4 bits of AL
        and     $0xf, %al
        add     $'0', %al
        cmp     $'9', %al
        jbe     1f
        add     $('a' - '9' - 1), %al
1:      outb    %al, $0xe9
        ret

# print_hex32: EAX as 0x and 8 hex digits.
print_hex32:
        push    %eax
        push    %ecx
        push    %edx
        mov     %eax, %edx
        mov     $'0', %al
        call    print_char
        mov     $'x', %al
        call    print_char
        mov     $8, %ecx
1:      rol     $4, %edx
        mov     %dl, %al
        call    print_nibble
        loop    1b
        pop     %edx
        pop     %ecx
        pop     %eax
        ret

# print_decimal: EAX as an unsigned decimal number.
print_decimal:
        push    %eax
        push    %ebx
        push    %ecx
        push    %edx
        mov     $10, %ecx
        xor     %ebx, %ebx              # digits pushed
1:      xor     %edx, %edx
        div     %ecx                    # EAX = EAX / 10, EDX = the last digit
        push    %edx
        inc     %ebx
        test    %eax, %eax
        jnz     1b
2:      pop     %eax
        add     $'0', %al
        outb    %al, $0xe9
        dec     %ebx
        jnz     2b
        pop     %edx
        pop     %ecx
        pop     %ebx
        pop     %eax
        ret

# --- What we found ----------------------------------------------------------
        .balign 4
common_cap:        .long 0      # configuration-space offsets of the capabilities
notify_cap:        .long 0
common_cfg:        .long 0      # guest-physical addresses in BAR space
notify_base:       .long 0
notify_multiplier: .long 0
queue_size:        .long 0
queue_notify_off:  .long 0

found_message:        .asciz "virtio-rng at 00:"
function_message:     .asciz ".0\n"
common_message:       .asciz "common cfg at "
notify_message:       .asciz ", notify at "
multiplier_message:   .asciz " (multiplier "
close_paren_message:  .asciz ")\n"
features_ok_message:  .asciz "features ok\n"
queue_message:        .asciz "queue 0: size "
got_message:          .asciz "got "
bytes_message:        .asciz " bytes:"
no_device_message:    .asciz "no virtio-rng on PCI bus 0: run Berth with --rng --irqchip kernel\n"
capabilities_message: .asciz "no virtio common or notify capability\n"
bar_message:          .asciz "a virtio capability names a BAR a 32-bit guest cannot use\n"
reset_message:        .asciz "the device did not reset\n"
version_message:      .asciz "the device does not offer VIRTIO_F_VERSION_1\n"
features_message:     .asciz "the device refused FEATURES_OK\n"
no_queue_message:     .asciz "queue 0 is not available\n"
needs_reset_message:  .asciz "the device did not accept DRIVER_OK (DEVICE_NEEDS_RESET)\n"
timeout_message:      .asciz "the device never returned the buffer\n"
used_id_message:      .asciz "the device returned a descriptor we did not give it\n"
used_len_message:     .asciz "the device wrote more than the buffer holds\n"
