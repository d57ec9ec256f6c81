# A hostile guest: it sets up one virtqueue of a virtio-pci device, fills
# every descriptor with the largest buffer it may, and then notifies the
# device in a tight loop for ever, moving the available index on by one
# each time (soon further than the ring has entries: a driver bug the device
# must survive). Built twice (guest/hostile/meson.build):
#   kick_flood_rng.bin: virtio-rng (device 0x1044), queue 0, 64 KiB
#     device-writable buffers: the device fills them as fast as it can;
#   kick_flood_net.bin: virtio-net (device 0x1041), queue 1 (transmit),
#     device-readable buffers of a 12-byte header and a 65,550-byte frame,
#     the largest virtio-net allows.
# Berth must keep up without its memory growing, and stop at --timeout
# (tests/integration/hostile_guests.sh). Lab 6 explains each step of the
# set-up; this guest skips every check a real driver makes.
#
#   berth run --image kick_flood_rng.bin --mode protected --irqchip kernel --rng --timeout S
#   berth run --image kick_flood_net.bin --mode protected --irqchip kernel --net tap=T --timeout S
#
# Assembled with --defsym DEVICE_ID=..., QUEUE=..., DESC_FLAGS=...,
# BUFFER_LENGTH=...

        .set    DESC_TABLE, 0x200000
        .set    AVAIL_RING, 0x201000
        .set    USED_RING, 0x202000
        .set    BUFFER, 0x210000        # one buffer, shared by every descriptor
        .set    QUEUE_SIZE_MAX, 256

        .code32
        .text
        .globl start
start:
        cli
# Find the device on bus 0: vendor 0x1af4, DEVICE_ID.
        mov     $0x80000000, %ebx       # bus 0, device 0, function 0, register 0
1:      mov     %ebx, %eax
        mov     $0xcf8, %dx
        outl    %eax, %dx
        mov     $0xcfc, %dx
        inl     %dx, %eax
        cmp     $((DEVICE_ID << 16) | 0x1af4), %eax
        je      2f
        add     $0x800, %ebx            # the next device number
        cmp     $0x80010000, %ebx
        jb      1b
        mov     $1, %al                 # no such device
        outb    %al, $0xf4
2:
# Memory decoding and bus mastering on (command register).
        lea     4(%ebx), %eax
        mov     $0xcf8, %dx
        outl    %eax, %dx
        mov     $0xcfc, %dx
        mov     $6, %ax
        outw    %ax, %dx
# BAR 0's address (Berth places the BARs; both structures are in BAR 0).
        lea     0x10(%ebx), %eax
        call    config_read
        and     $0xfffffff0, %eax
        mov     %eax, bar0
# Walk the capabilities for the common (type 1) and notify (type 2) ones.
        lea     0x34(%ebx), %eax
        call    config_read
        movzbl  %al, %esi               # the first capability's offset
3:      test    %esi, %esi
        jz      5f
        lea     (%ebx, %esi), %eax
        call    config_read             # vendor, next, length, type
        mov     %eax, %ecx
        shr     $24, %ecx               # cfg_type
        movzbl  %ah, %edi               # cap_next
        cmp     $0x09, %al
        jne     4f
        lea     8(%ebx, %esi), %eax
        call    config_read             # offset within the BAR
        add     bar0, %eax
        cmp     $1, %ecx
        jne     6f
        mov     %eax, common
        jmp     4f
6:      cmp     $2, %ecx
        jne     4f
        mov     %eax, notify
        lea     16(%ebx, %esi), %eax
        call    config_read             # notify_off_multiplier
        mov     %eax, multiplier
4:      mov     %edi, %esi
        jmp     3b
5:
# Device set-up: reset, ACKNOWLEDGE | DRIVER, VERSION_1 only, FEATURES_OK.
        mov     common, %ebp
        movb    $0, 0x14(%ebp)
7:      cmpb    $0, 0x14(%ebp)
        jne     7b
        movb    $3, 0x14(%ebp)
        movl    $1, 0x08(%ebp)          # driver_feature_select: bits 32-63
        movl    $1, 0x0c(%ebp)          # VIRTIO_F_VERSION_1
        movb    $11, 0x14(%ebp)         # ... | FEATURES_OK
# The queue: as large as the device allows, up to 256.
        movw    $QUEUE, 0x16(%ebp)
        movzwl  0x18(%ebp), %ecx
        cmp     $QUEUE_SIZE_MAX, %ecx
        jbe     8f
        mov     $QUEUE_SIZE_MAX, %ecx
8:      movw    %cx, 0x18(%ebp)
        movl    $DESC_TABLE, 0x20(%ebp)
        movl    $0, 0x24(%ebp)
        movl    $AVAIL_RING, 0x28(%ebp)
        movl    $0, 0x2c(%ebp)
        movl    $USED_RING, 0x30(%ebp)
        movl    $0, 0x34(%ebp)
        movw    $1, 0x1c(%ebp)          # queue_enable
        movzwl  0x1e(%ebp), %eax        # queue_notify_off
        imul    multiplier, %eax
        add     %eax, notify
        movb    $15, 0x14(%ebp)         # ... | DRIVER_OK
# Every descriptor: the one big buffer; every ring entry: its descriptor.
        xor     %eax, %eax
9:      mov     %eax, %edx
        shl     $4, %edx
        movl    $BUFFER, DESC_TABLE(%edx)
        movl    $0, DESC_TABLE + 4(%edx)
        movl    $BUFFER_LENGTH, DESC_TABLE + 8(%edx)
        movw    $DESC_FLAGS, DESC_TABLE + 12(%edx)
        movw    $0, DESC_TABLE + 14(%edx)
        movw    %ax, AVAIL_RING + 4(,%eax,2)
        inc     %eax
        cmp     %ecx, %eax
        jb      9b
# The flood: one more available entry and a notification, for ever.
        mov     notify, %edi
        mov     $QUEUE, %ax
10:     incw    AVAIL_RING + 2
        movw    %ax, (%edi)
        jmp     10b

# config_read: the configuration dword at EAX (an 0xcf8 address).
config_read:
        mov     $0xcf8, %dx
        outl    %eax, %dx
        mov     $0xcfc, %dx
        inl     %dx, %eax
        ret

bar0:           .long   0
common:         .long   0
notify:         .long   0
multiplier:     .long   0
