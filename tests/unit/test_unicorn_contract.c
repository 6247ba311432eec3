/* Pins every Unicorn behaviour vmemu's emu/ layer is built on (DESIGN.md,
 * "Unicorn facts to design around"), measured on libunicorn 2.1.1, so that an
 * upgrade which changes one of them fails here, loudly, before a guest does. */
/*
 * Each engine is set up the way vmemu sets up its own: x86-64, Haswell CPU
 * model, virtual-TLB mode, guest "physical" RAM as one host mmap at
 * guest-physical 0, and a UC_HOOK_TLB_FILL callback as the page walker. The
 * page table here is a toy: a short list of va -> pa mappings with
 * permissions, plus one scattered 1 MiB region for the stress tests.
 *
 * Guest code leaves through UNTIL, the exit address passed to uc_emu_start,
 * which lies in the middle of a kernel-only page the hook always maps R|X.
 * It must be mid-page: after every run Unicorn 2.1.1 asks the hook to
 * translate the page of UNTIL - 1 (see the until_lookup case).
 */
#define _GNU_SOURCE
#include <check.h>
#include <unicorn/unicorn.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE_SIZE_ 0x1000ull
#define PAGE_MASK_ (~(PAGE_SIZE_ - 1))
#define RAM_SIZE (16u << 20)

/* Kernel-only exit page; filled with ud2 so that running into it is loud. */
#define KEXIT_VA 0xffffffff80000000ull
#define KEXIT_PA 0x1000ull
#define UNTIL (KEXIT_VA + 0x800)

#define CODE_VA 0x401000ull
#define FRAME_A 0x10000ull /* code frame */
#define FRAME_B 0x11000ull /* a second code frame */
#define DATA_VA 0x600000ull
#define DATA_PA 0x20000ull
#define DATA2_PA 0x21000ull
#define RO_VA 0x700000ull /* mapped read-only */
#define RO_PA 0x30000ull
#define HOLE_VA 0x900000ull /* never mapped */
#define ALIAS_VA 0xffff888000010000ull /* kernel alias of FRAME_A */
#define LAND_VA 0x401100ull            /* landing pad in the code page */

/* Scattered region: page i of BIG_VA lives in frame (i * 7) % BIG_PAGES. */
#define BIG_VA 0x10000000ull
#define BIG_PA 0x200000ull
#define BIG_PAGES 256u

#define RWX (UC_PROT_READ | UC_PROT_WRITE | UC_PROT_EXEC)
#define RX (UC_PROT_READ | UC_PROT_EXEC)
#define RW (UC_PROT_READ | UC_PROT_WRITE)

/* jmp *0(%rip); .quad UNTIL -- the guest's way out. */
#define EXIT_JMP                                                               \
    0xff, 0x25, 0x00, 0x00, 0x00, 0x00, /* jmp qword ptr [rip+0] */            \
        0x00, 0x08, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff /* .quad UNTIL */
_Static_assert(UNTIL == 0xffffffff80000800ull, "EXIT_JMP encodes UNTIL");

struct mapping {
    uint64_t va, pa;
    uint32_t perms;
};

struct fill {
    uint64_t va;
    uc_mem_type type;
};

#define MAX_MAPPINGS 16
#define MAX_LOG 64

struct machine {
    uc_engine *uc;
    uint8_t *ram;
    struct mapping map[MAX_MAPPINGS];
    int nmap;
    bool big;            /* the scattered region is mapped (read-only) */
    bool dirty_tracking; /* non-write fills get no UC_PROT_WRITE, like a clean PTE */
    unsigned flush_every; /* flush the TLB from inside every Nth fill */
    unsigned long fills, refusals, flushes;
    struct fill log[MAX_LOG];
    int nlog;
};

static bool walk(const struct machine *m, uint64_t va, uint64_t *pa,
                 uint32_t *perms)
{
    for (int i = 0; i < m->nmap; i++) {
        if (m->map[i].va == va) {
            *pa = m->map[i].pa;
            *perms = m->map[i].perms;
            return true;
        }
    }
    if (m->big && va >= BIG_VA && va < BIG_VA + BIG_PAGES * PAGE_SIZE_) {
        uint64_t i = (va - BIG_VA) / PAGE_SIZE_;
        *pa = BIG_PA + (i * 7 % BIG_PAGES) * PAGE_SIZE_;
        *perms = UC_PROT_READ;
        return true;
    }
    return false;
}

static bool tlb_fill(uc_engine *uc, uint64_t va, uc_mem_type type,
                     uc_tlb_entry *e, void *user)
{
    struct machine *m = user;
    uint64_t pa;
    uint32_t perms;

    m->fills++;
    if (m->nlog < MAX_LOG)
        m->log[m->nlog++] = (struct fill){ va, type };
    if (m->flush_every && m->fills % m->flush_every == 0) {
        ck_assert_int_eq(uc_ctl_flush_tlb(uc), UC_ERR_OK);
        m->flushes++;
    }
    if (!walk(m, va & PAGE_MASK_, &pa, &perms)) {
        m->refusals++;
        return false;
    }
    if (m->dirty_tracking && type != UC_MEM_WRITE)
        perms &= ~(uint32_t)UC_PROT_WRITE;
    e->paddr = pa;
    e->perms = perms;
    return true;
}

static void set_map(struct machine *m, uint64_t va, uint64_t pa, uint32_t perms)
{
    for (int i = 0; i < m->nmap; i++) {
        if (m->map[i].va == va) {
            m->map[i] = (struct mapping){ va, pa, perms };
            return;
        }
    }
    ck_assert_int_lt(m->nmap, MAX_MAPPINGS);
    m->map[m->nmap++] = (struct mapping){ va, pa, perms };
}

static struct machine *machine_new(void)
{
    struct machine *m = calloc(1, sizeof(*m));
    uc_hook h;

    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(uc_open(UC_ARCH_X86, UC_MODE_64, &m->uc), UC_ERR_OK);
    ck_assert_int_eq(uc_ctl_set_cpu_model(m->uc, UC_CPU_X86_HASWELL), UC_ERR_OK);
    ck_assert_int_eq(uc_ctl_tlb_mode(m->uc, UC_TLB_VIRTUAL), UC_ERR_OK);
    m->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(m->ram != MAP_FAILED);
    ck_assert_int_eq(uc_mem_map_ptr(m->uc, 0, RAM_SIZE, UC_PROT_ALL, m->ram),
                     UC_ERR_OK);
    ck_assert_int_eq(uc_hook_add(m->uc, &h, UC_HOOK_TLB_FILL, (void *)tlb_fill,
                                 m, 1, 0),
                     UC_ERR_OK);
    for (uint64_t i = 0; i < PAGE_SIZE_; i += 2) {
        m->ram[KEXIT_PA + i] = 0x0f; /* ud2 */
        m->ram[KEXIT_PA + i + 1] = 0x0b;
    }
    set_map(m, KEXIT_VA, KEXIT_PA, RX);
    return m;
}

static void machine_free(struct machine *m)
{
    uc_close(m->uc);
    munmap(m->ram, RAM_SIZE);
    free(m);
}

static void put(struct machine *m, uint64_t pa, const uint8_t *code, size_t n)
{
    memcpy(m->ram + pa, code, n);
}

/* Guest RAM accessors; memcpy because guest data need not be aligned. */
static uint64_t peek64(const struct machine *m, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, m->ram + pa, sizeof(v));
    return v;
}

static void poke64(struct machine *m, uint64_t pa, uint64_t v)
{
    memcpy(m->ram + pa, &v, sizeof(v));
}

static uc_err run(struct machine *m, uint64_t begin)
{
    return uc_emu_start(m->uc, begin, UNTIL, 0, 0);
}

static uint64_t reg(struct machine *m, int regid)
{
    uint64_t v = 0;
    ck_assert_int_eq(uc_reg_read(m->uc, regid, &v), UC_ERR_OK);
    return v;
}

static void set_reg(struct machine *m, int regid, uint64_t v)
{
    ck_assert_int_eq(uc_reg_write(m->uc, regid, &v), UC_ERR_OK);
}

static void clear_log(struct machine *m)
{
    m->nlog = 0;
    m->fills = m->refusals = 0;
}

static void expect_log(const struct machine *m, const struct fill *want, int n)
{
    ck_assert_int_eq(m->nlog, n);
    for (int i = 0; i < n; i++) {
        ck_assert_uint_eq(m->log[i].va, want[i].va);
        ck_assert_int_eq(m->log[i].type, want[i].type);
    }
}

/* ---- 1. Fill-hook arguments ------------------------------------------- */

/* vmemu relies on: the hook sees the page-aligned VA and the access type of
 * each load, store and fetch, and a store to a page filled without
 * UC_PROT_WRITE refills it as a write (so the walker can set the Dirty bit). */
START_TEST(test_fill_args)
{
    struct machine *m = machine_new();
    static const uint8_t code[] = {
        0xbb, 0x23, 0x01, 0x60, 0x00, /* mov ebx, 0x600123 */
        0x48, 0x8b, 0x03,             /* mov rax, [rbx] */
        0x48, 0xff, 0xc0,             /* inc rax */
        0x48, 0x89, 0x43, 0x08,       /* mov [rbx+8], rax */
        EXIT_JMP,
    };
    static const struct fill want[] = {
        { CODE_VA, UC_MEM_FETCH },
        { DATA_VA, UC_MEM_READ },  /* 0x600123 arrives page-aligned */
        { DATA_VA, UC_MEM_WRITE }, /* refill: the read fill had no write perm */
        { KEXIT_VA, UC_MEM_FETCH }, /* the jump to UNTIL */
    };

    m->dirty_tracking = true;
    set_map(m, CODE_VA, FRAME_A, RX);
    set_map(m, DATA_VA, DATA_PA, RW);
    put(m, FRAME_A, code, sizeof(code));
    poke64(m, DATA_PA + 0x123, 41);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), UNTIL);
    ck_assert_uint_eq(peek64(m, DATA_PA + 0x12b), 42);
    expect_log(m, want, 4);
    machine_free(m);
}
END_TEST

/* ---- 2. The look-up uc_emu_start makes for `until` ---------------------- */

/* Differs from DESIGN.md fact 7: the look-up is not of until's page at start,
 * but of the page of (until - 1), made after emulation has ended (Unicorn
 * invalidates the translation just before the exit: qemu/softmmu/cpus.c,
 * uc_exit_invalidate_iter). vmemu relies on: with until in the middle of a
 * kernel-only page the hook always maps R|X, that look-up is harmless. */
static const uint8_t nop_hlt[] = {
    0x90,       /* nop */
    0xf4,       /* hlt   -- ends uc_emu_start, see case 10 */
    0x0f, 0x0b, /* ud2 */
};

START_TEST(test_until_lookup_after_run)
{
    struct machine *m = machine_new();
    static const struct fill want[] = {
        { CODE_VA, UC_MEM_FETCH },
        { KEXIT_VA, UC_MEM_FETCH }, /* after hlt: the guest never jumped there */
    };

    set_map(m, CODE_VA, FRAME_A, RX);
    put(m, FRAME_A, nop_hlt, sizeof(nop_hlt));
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), CODE_VA + 2);
    expect_log(m, want, 2);
    machine_free(m);
}
END_TEST

/* until page-aligned: the hook is asked for the page before it. */
START_TEST(test_until_lookup_is_of_until_minus_1)
{
    struct machine *m = machine_new();
    static const struct fill want[] = {
        { CODE_VA, UC_MEM_FETCH },
        { KEXIT_VA, UC_MEM_FETCH }, /* page of until - 1, not of until */
    };

    set_map(m, CODE_VA, FRAME_A, RX);
    put(m, FRAME_A, nop_hlt, sizeof(nop_hlt));
    ck_assert_int_eq(uc_emu_start(m->uc, CODE_VA, KEXIT_VA + PAGE_SIZE_, 0, 0),
                     UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), CODE_VA + 2);
    expect_log(m, want, 2);
    machine_free(m);
}
END_TEST

/* If that look-up is refused, uc_emu_start reports UC_ERR_EXCEPTION although
 * the guest itself stopped cleanly: a false guest fault. */
START_TEST(test_until_lookup_refused_is_an_error)
{
    struct machine *m = machine_new();

    set_map(m, CODE_VA, FRAME_A, RX);
    put(m, FRAME_A, nop_hlt, sizeof(nop_hlt));
    ck_assert_int_eq(uc_emu_start(m->uc, CODE_VA, KEXIT_VA, 0, 0),
                     UC_ERR_EXCEPTION);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), CODE_VA + 2);
    ck_assert_int_ge(m->nlog, 1);
    ck_assert_uint_eq(m->log[m->nlog - 1].va, KEXIT_VA - PAGE_SIZE_);
    ck_assert_int_eq(m->log[m->nlog - 1].type, UC_MEM_FETCH);
    ck_assert_uint_eq(m->refusals, 1);
    machine_free(m);
}
END_TEST

/* ---- 3. A refused fill ------------------------------------------------ */

/* vmemu relies on: a fill the hook refuses (false, or true without the needed
 * permission) ends uc_emu_start with UC_ERR_EXCEPTION, RIP at the faulting
 * instruction, CR2 untouched, and no UC_HOOK_MEM_* invalid hook called. */
static bool count_invalid(uc_engine *uc, uc_mem_type type, uint64_t addr,
                          int size, int64_t value, void *user)
{
    (void)uc, (void)type, (void)addr, (void)size, (void)value;
    (*(int *)user)++;
    return false;
}

static void expect_refused(const uint8_t *code, size_t n, uint64_t fault_rip,
                           uint64_t fault_va, uc_mem_type fault_type,
                           unsigned long refusals)
{
    struct machine *m = machine_new();
    int invalid_calls = 0;
    uc_hook h;

    set_map(m, CODE_VA, FRAME_A, RX);
    set_map(m, RO_VA, RO_PA, UC_PROT_READ);
    put(m, FRAME_A, code, n);
    ck_assert_int_eq(uc_hook_add(m->uc, &h, UC_HOOK_MEM_INVALID,
                                 (void *)count_invalid, &invalid_calls, 1, 0),
                     UC_ERR_OK);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_EXCEPTION);
    ck_assert_int_eq(invalid_calls, 0);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), fault_rip);
    ck_assert_uint_eq(reg(m, UC_X86_REG_CR2), 0);
    ck_assert_uint_eq(m->refusals, refusals);
    /* The faulting fill comes last but for the after-run (until - 1) look-up. */
    ck_assert_int_ge(m->nlog, 2);
    ck_assert_uint_eq(m->log[m->nlog - 2].va, fault_va);
    ck_assert_int_eq(m->log[m->nlog - 2].type, fault_type);
    ck_assert_uint_eq(m->log[m->nlog - 1].va, KEXIT_VA);
    machine_free(m);
}

START_TEST(test_refused_read)
{
    static const uint8_t code[] = {
        0x90,                         /* nop */
        0xbb, 0x00, 0x00, 0x90, 0x00, /* mov ebx, 0x900000 */
        0x48, 0x8b, 0x03,             /* 0x401006: mov rax, [rbx] */
        EXIT_JMP,
    };
    expect_refused(code, sizeof(code), CODE_VA + 6, HOLE_VA, UC_MEM_READ, 1);
}
END_TEST

START_TEST(test_refused_write)
{
    static const uint8_t code[] = {
        0x90,                         /* nop */
        0xbb, 0x00, 0x00, 0x90, 0x00, /* mov ebx, 0x900000 */
        0x48, 0x89, 0x03,             /* 0x401006: mov [rbx], rax */
        EXIT_JMP,
    };
    expect_refused(code, sizeof(code), CODE_VA + 6, HOLE_VA, UC_MEM_WRITE, 1);
}
END_TEST

/* The hook returns true, but with UC_PROT_READ only, for a write fill. */
START_TEST(test_refused_write_by_perms)
{
    static const uint8_t code[] = {
        0x90,                         /* nop */
        0xbb, 0x00, 0x00, 0x70, 0x00, /* mov ebx, 0x700000 */
        0x48, 0x89, 0x03,             /* 0x401006: mov [rbx], rax */
        EXIT_JMP,
    };
    expect_refused(code, sizeof(code), CODE_VA + 6, RO_VA, UC_MEM_WRITE, 0);
}
END_TEST

START_TEST(test_refused_fetch)
{
    static const uint8_t code[] = {
        0x90,                         /* nop */
        0xbb, 0x00, 0x00, 0x90, 0x00, /* mov ebx, 0x900000 */
        0xff, 0xe3,                   /* jmp rbx */
        EXIT_JMP,
    };
    expect_refused(code, sizeof(code), HOLE_VA, HOLE_VA, UC_MEM_FETCH, 1);
}
END_TEST

/* ---- 4. Stale translated code after frame reuse ----------------------- */

/* vmemu relies on: translations survive a TLB flush when their frame is
 * rewritten, and uc_ctl_remove_cache through any VA the hook maps (R|X) to
 * that frame -- a kernel-only alias included -- drops them. (unicorn.h says
 * UC_CTL_TLB_FLUSH also invalidates translation blocks; in 2.1.1 it does not.
 * uc_ctl_flush_tb would, for every frame at once.) */
static void put_mov_eax(struct machine *m, uint64_t pa, uint8_t imm)
{
    const uint8_t code[] = {
        0xb8, imm, 0x00, 0x00, 0x00, /* mov eax, imm */
        EXIT_JMP,
    };
    put(m, pa, code, sizeof(code));
}

static struct machine *stale_setup(void)
{
    struct machine *m = machine_new();

    set_map(m, CODE_VA, FRAME_A, RX);
    put_mov_eax(m, FRAME_A, 1);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 1);
    put_mov_eax(m, FRAME_A, 2); /* the kernel reuses frame A */
    return m;
}

START_TEST(test_stale_code_survives_tlb_flush)
{
    struct machine *m = stale_setup();
    static const struct fill want[] = {
        { CODE_VA, UC_MEM_FETCH }, /* the flush did drop the TLB entry ... */
        { KEXIT_VA, UC_MEM_FETCH },
    };

    ck_assert_int_eq(uc_ctl_flush_tlb(m->uc), UC_ERR_OK);
    clear_log(m);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 1); /* ... but the old code ran */
    expect_log(m, want, 2);

    /* uc_mem_write is no better than memcpy. */
    put_mov_eax(m, FRAME_A, 1); /* restore, then write 3 the other way */
    {
        const uint8_t three[] = { 0xb8, 3, 0, 0, 0 };
        ck_assert_int_eq(uc_mem_write(m->uc, FRAME_A, three, sizeof(three)),
                         UC_ERR_OK);
    }
    ck_assert_int_eq(uc_ctl_flush_tlb(m->uc), UC_ERR_OK);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 1);
    machine_free(m);
}
END_TEST

START_TEST(test_remove_cache_by_va)
{
    struct machine *m = stale_setup();

    ck_assert_int_eq(uc_ctl_remove_cache(m->uc, CODE_VA, CODE_VA + PAGE_SIZE_),
                     UC_ERR_OK);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 2);
    machine_free(m);
}
END_TEST

START_TEST(test_remove_cache_by_alias)
{
    struct machine *m = stale_setup();
    static const struct fill want[] = {
        { ALIAS_VA, UC_MEM_FETCH }, /* remove_cache translates as a fetch */
    };

    set_map(m, ALIAS_VA, FRAME_A, RWX);
    clear_log(m);
    ck_assert_int_eq(uc_ctl_remove_cache(m->uc, ALIAS_VA, ALIAS_VA + PAGE_SIZE_),
                     UC_ERR_OK);
    expect_log(m, want, 1);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 2);
    machine_free(m);
}
END_TEST

/* An alias without UC_PROT_EXEC fails the fetch translation; remove_cache
 * still returns UC_ERR_OK but invalidates nothing. */
START_TEST(test_remove_cache_alias_needs_exec)
{
    struct machine *m = stale_setup();

    set_map(m, ALIAS_VA, FRAME_A, RW);
    ck_assert_int_eq(uc_ctl_remove_cache(m->uc, ALIAS_VA, ALIAS_VA + PAGE_SIZE_),
                     UC_ERR_OK);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 1);
    machine_free(m);
}
END_TEST

/* Translations are keyed by physical page: the same VA on another frame runs
 * that frame's code after a TLB flush, no invalidation needed. */
START_TEST(test_new_frame_runs_new_code)
{
    struct machine *m = stale_setup();

    put_mov_eax(m, FRAME_B, 6);
    set_map(m, CODE_VA, FRAME_B, RX);
    ck_assert_int_eq(uc_ctl_flush_tlb(m->uc), UC_ERR_OK);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 6);
    machine_free(m);
}
END_TEST

/* ---- 5 and 6. Checksum loop over the scattered region ----------------- */

/* rax = 0; for off in 0..4096 step 8: for page in 0..BIG_PAGES:
 *     rax = rax * 3 + qword at BIG_VA + page * 4096 + off
 * Page-strided, so nearly every load misses the TLB. */
static const uint8_t checksum_loop[] = {
    0x31, 0xc0,                               /* 00: xor eax, eax */
    0x31, 0xd2,                               /* 02: xor edx, edx */
    0x48, 0xbe, 0, 0, 0, 0x10, 0, 0, 0, 0,    /* 04: outer: movabs rsi, 0x10000000 */
    0x48, 0x01, 0xd6,                         /* 0e: add rsi, rdx */
    0xb9, 0x00, 0x01, 0x00, 0x00,             /* 11: mov ecx, 256 */
    0x48, 0x8d, 0x04, 0x40,                   /* 16: inner: lea rax, [rax+rax*2] */
    0x48, 0x03, 0x06,                         /* 1a: add rax, [rsi] */
    0x48, 0x81, 0xc6, 0x00, 0x10, 0x00, 0x00, /* 1d: add rsi, 0x1000 */
    0xff, 0xc9,                               /* 24: dec ecx */
    0x75, 0xee,                               /* 26: jnz inner */
    0x83, 0xc2, 0x08,                         /* 28: add edx, 8 */
    0x81, 0xfa, 0x00, 0x10, 0x00, 0x00,       /* 2b: cmp edx, 0x1000 */
    0x72, 0xd1,                               /* 31: jb outer */
    EXIT_JMP,                                 /* 33 */
};
_Static_assert(BIG_PAGES == 256 && BIG_VA == 0x10000000ull,
               "checksum_loop encodes BIG_PAGES and BIG_VA");

static uint64_t checksum_setup(struct machine *m)
{
    uint64_t sum = 0;

    set_map(m, CODE_VA, FRAME_A, RX);
    put(m, FRAME_A, checksum_loop, sizeof(checksum_loop));
    m->big = true;
    for (uint64_t i = 0; i < BIG_PAGES * PAGE_SIZE_ / 8; i++)
        poke64(m, BIG_PA + i * 8, (i + 1) * 0x9e3779b97f4a7c15ull);
    for (uint64_t off = 0; off < PAGE_SIZE_; off += 8) {
        for (uint64_t p = 0; p < BIG_PAGES; p++) {
            uint64_t pa = BIG_PA + (p * 7 % BIG_PAGES) * PAGE_SIZE_ + off;
            sum = sum * 3 + peek64(m, pa);
        }
    }
    return sum;
}

/* vmemu relies on: uc_ctl_flush_tlb called from inside the fill hook (TLB
 * resizing, shootdowns during a fault) leaves results correct. */
START_TEST(test_flush_inside_fill_hook)
{
    struct machine *m = machine_new();
    uint64_t want = checksum_setup(m);

    m->flush_every = 7;
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), UNTIL);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), want);
    ck_assert_uint_gt(m->fills, 60000);
    ck_assert_uint_gt(m->flushes, 9000);
    ck_assert_uint_eq(m->refusals, 0);
    machine_free(m);
}
END_TEST

/* vmemu relies on: uc_emu_stop inside a UC_HOOK_BLOCK callback is a safe
 * preemption point -- RIP then reads as that block's address (the block has
 * not run) and uc_emu_start from there resumes correctly. */
struct block_stopper {
    unsigned long blocks, every;
    uint64_t stopped_at;
};

static void stop_every_n_blocks(uc_engine *uc, uint64_t addr, uint32_t size,
                                void *user)
{
    struct block_stopper *s = user;

    (void)size;
    if (++s->blocks % s->every == 0) {
        s->stopped_at = addr;
        ck_assert_int_eq(uc_emu_stop(uc), UC_ERR_OK);
    }
}

START_TEST(test_stop_in_block_hook)
{
    struct machine *m = machine_new();
    struct block_stopper s = { .every = 7 };
    uint64_t want = checksum_setup(m);
    uint64_t rip = CODE_VA;
    unsigned long stops = 0;
    uc_hook h;

    /* Installed before anything is translated: blocks translated earlier
     * would not call it. */
    ck_assert_int_eq(uc_hook_add(m->uc, &h, UC_HOOK_BLOCK,
                                 (void *)stop_every_n_blocks, &s, 1, 0),
                     UC_ERR_OK);
    for (;;) {
        ck_assert_int_eq(uc_emu_start(m->uc, rip, UNTIL, 0, 0), UC_ERR_OK);
        rip = reg(m, UC_X86_REG_RIP);
        if (rip == UNTIL)
            break;
        ck_assert_uint_eq(rip, s.stopped_at);
        stops++;
    }
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), want);
    ck_assert_uint_gt(stops, 5000);
    machine_free(m);
}
END_TEST

/* ---- 7. Contexts and the TLB ------------------------------------------ */

/* vmemu relies on: uc_context_restore does not flush the TLB (threads of one
 * mm switch for free), so a switch to another mm must flush explicitly. */
static const uint8_t load_data[] = {
    0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00, /* mov rax, [0x600000] */
    EXIT_JMP,
};

static struct machine *context_setup(uc_context **ctx)
{
    struct machine *m = machine_new();

    set_map(m, CODE_VA, FRAME_A, RX);
    set_map(m, DATA_VA, DATA_PA, RW);
    put(m, FRAME_A, load_data, sizeof(load_data));
    poke64(m, DATA_PA, 111);
    poke64(m, DATA2_PA, 222);
    ck_assert_int_eq(uc_context_alloc(m->uc, ctx), UC_ERR_OK);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 111);
    ck_assert_uint_eq(m->fills, 3); /* code, data, exit page */
    ck_assert_int_eq(uc_context_save(m->uc, *ctx), UC_ERR_OK);
    return m;
}

START_TEST(test_context_restore_keeps_tlb)
{
    uc_context *ctx;
    struct machine *m = context_setup(&ctx);

    clear_log(m);
    ck_assert_int_eq(uc_context_restore(m->uc, ctx), UC_ERR_OK);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 111);
    ck_assert_uint_eq(m->fills, 0); /* uc_emu_start does not flush either */
    uc_context_free(ctx);
    machine_free(m);
}
END_TEST

START_TEST(test_context_switch_to_new_mapping_needs_flush)
{
    uc_context *ctx;
    struct machine *m = context_setup(&ctx);

    set_map(m, DATA_VA, DATA2_PA, RW); /* "another mm" */
    ck_assert_int_eq(uc_context_restore(m->uc, ctx), UC_ERR_OK);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 111); /* stale translation */

    ck_assert_int_eq(uc_context_restore(m->uc, ctx), UC_ERR_OK);
    ck_assert_int_eq(uc_ctl_flush_tlb(m->uc), UC_ERR_OK);
    clear_log(m);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 222);
    ck_assert_uint_eq(m->fills, 3);
    uc_context_free(ctx);
    machine_free(m);
}
END_TEST

/* A task's context carries its FS base and SSE registers. */
START_TEST(test_context_carries_fs_base_and_xmm)
{
    struct machine *m = machine_new();
    uc_context *ctx;
    uint8_t x[16], y[16];

    for (int i = 0; i < 16; i++)
        x[i] = (uint8_t)(0xa0 + i);
    ck_assert_int_eq(uc_context_alloc(m->uc, &ctx), UC_ERR_OK);
    set_reg(m, UC_X86_REG_FS_BASE, 0x7f0000001000ull);
    ck_assert_int_eq(uc_reg_write(m->uc, UC_X86_REG_XMM5, x), UC_ERR_OK);
    ck_assert_int_eq(uc_context_save(m->uc, ctx), UC_ERR_OK);
    set_reg(m, UC_X86_REG_FS_BASE, 0);
    memset(y, 0, sizeof(y));
    ck_assert_int_eq(uc_reg_write(m->uc, UC_X86_REG_XMM5, y), UC_ERR_OK);
    ck_assert_int_eq(uc_context_restore(m->uc, ctx), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_FS_BASE), 0x7f0000001000ull);
    ck_assert_int_eq(uc_reg_read(m->uc, UC_X86_REG_XMM5, y), UC_ERR_OK);
    ck_assert_mem_eq(x, y, 16);
    uc_context_free(ctx);
    machine_free(m);
}
END_TEST

/* ---- 8. The syscall hook ---------------------------------------------- */

/* vmemu relies on: in the UC_X86_INS_SYSCALL hook RIP is the syscall's own
 * address; Unicorn leaves RCX and R11 as they were (the kernel must set them
 * to the return RIP and RFLAGS itself); a RIP written in the hook gets 2
 * added; and after uc_emu_stop in the hook, uc_emu_start returns UC_ERR_OK
 * with RIP just past the syscall, from where execution resumes. */
#define SYSCALL_VA (CODE_VA + 0x10)
static const uint8_t syscall_code[] = {
    0xb9, 0x11, 0x11, 0x00, 0x00,       /* 00: mov ecx, 0x1111 */
    0x41, 0xbb, 0x22, 0x22, 0x00, 0x00, /* 05: mov r11d, 0x2222 */
    0xb8, 0x27, 0x00, 0x00, 0x00,       /* 0b: mov eax, 39 */
    0x0f, 0x05,                         /* 10: syscall */
    0xbb, 0x07, 0x00, 0x00, 0x00,       /* 12: mov ebx, 7 */
    EXIT_JMP,
};
static const uint8_t landing_code[] = {
    0x0f, 0x0b,                   /* LAND_VA: ud2 */
    0xbb, 0x09, 0x00, 0x00, 0x00, /* LAND_VA + 2: mov ebx, 9 */
    EXIT_JMP,
};

enum syscall_action { SC_RETURN, SC_SET_RIP, SC_STOP, SC_SET_RIP_AND_STOP };

struct syscall_probe {
    struct machine *m;
    enum syscall_action action;
    int calls;
    uint64_t rip, rcx, r11, rflags, rax;
};

static void on_syscall(uc_engine *uc, void *user)
{
    struct syscall_probe *p = user;

    p->calls++;
    p->rip = reg(p->m, UC_X86_REG_RIP);
    p->rcx = reg(p->m, UC_X86_REG_RCX);
    p->r11 = reg(p->m, UC_X86_REG_R11);
    p->rflags = reg(p->m, UC_X86_REG_RFLAGS);
    p->rax = reg(p->m, UC_X86_REG_RAX);
    if (p->action == SC_SET_RIP || p->action == SC_SET_RIP_AND_STOP)
        set_reg(p->m, UC_X86_REG_RIP, LAND_VA);
    if (p->action == SC_STOP || p->action == SC_SET_RIP_AND_STOP)
        ck_assert_int_eq(uc_emu_stop(uc), UC_ERR_OK);
}

static struct machine *syscall_setup(struct syscall_probe *p,
                                     enum syscall_action action)
{
    struct machine *m = machine_new();
    uc_hook h;

    memset(p, 0, sizeof(*p));
    p->m = m;
    p->action = action;
    set_map(m, CODE_VA, FRAME_A, RX);
    put(m, FRAME_A, syscall_code, sizeof(syscall_code));
    put(m, FRAME_A + (LAND_VA - CODE_VA), landing_code, sizeof(landing_code));
    ck_assert_int_eq(uc_hook_add(m->uc, &h, UC_HOOK_INSN, (void *)on_syscall, p,
                                 1, 0, UC_X86_INS_SYSCALL),
                     UC_ERR_OK);
    return m;
}

START_TEST(test_syscall_registers_in_hook)
{
    struct syscall_probe p;
    struct machine *m = syscall_setup(&p, SC_RETURN);

    set_reg(m, UC_X86_REG_RFLAGS, 0x202);
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_int_eq(p.calls, 1);
    ck_assert_uint_eq(p.rip, SYSCALL_VA);
    ck_assert_uint_eq(p.rax, 39);
    ck_assert_uint_eq(p.rcx, 0x1111); /* not the return address */
    ck_assert_uint_eq(p.r11, 0x2222); /* not RFLAGS */
    ck_assert_uint_eq(p.rflags, 0x202);
    /* Returning from the hook continues after the syscall, RCX/R11 intact. */
    ck_assert_uint_eq(reg(m, UC_X86_REG_RBX), 7);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RCX), 0x1111);
    ck_assert_uint_eq(reg(m, UC_X86_REG_R11), 0x2222);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), UNTIL);
    machine_free(m);
}
END_TEST

START_TEST(test_syscall_hook_rip_write_gets_plus_2)
{
    struct syscall_probe p;
    struct machine *m = syscall_setup(&p, SC_SET_RIP);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_int_eq(p.calls, 1);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RBX), 9); /* ran LAND_VA + 2 */
    machine_free(m);
}
END_TEST

START_TEST(test_syscall_hook_stop)
{
    struct syscall_probe p;
    struct machine *m = syscall_setup(&p, SC_STOP);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_int_eq(p.calls, 1);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), SYSCALL_VA + 2);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RBX), 0); /* next insn not run */
    ck_assert_uint_eq(reg(m, UC_X86_REG_RCX), 0x1111);
    ck_assert_uint_eq(reg(m, UC_X86_REG_R11), 0x2222);

    /* Resuming at that RIP does not repeat the syscall. */
    p.action = SC_RETURN;
    ck_assert_int_eq(run(m, SYSCALL_VA + 2), UC_ERR_OK);
    ck_assert_int_eq(p.calls, 1);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RBX), 7);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), UNTIL);
    machine_free(m);
}
END_TEST

/* Writing RIP in the hook and stopping: RIP reads back as the value + 2. */
START_TEST(test_syscall_hook_rip_write_then_stop)
{
    struct syscall_probe p;
    struct machine *m = syscall_setup(&p, SC_SET_RIP_AND_STOP);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), LAND_VA + 2);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RBX), 0);
    machine_free(m);
}
END_TEST

/* ---- 9. The CPU model ------------------------------------------------- */

/* vmemu relies on: the Haswell model executes SSSE3/SSE4.2/POPCNT (glibc's
 * string functions pick them), reports XSAVE without OSXSAVE and no AVX, and
 * xgetbv is an invalid instruction -- so CPUID's XSAVE bit must be hidden. */
START_TEST(test_cpu_simd_instructions)
{
    struct machine *m = machine_new();
    static const uint8_t code[] = {
        0xf3, 0x48, 0x0f, 0xb8, 0xc3,       /* popcnt rax, rbx */
        0x66, 0x0f, 0x38, 0x00, 0xc1,       /* pshufb xmm0, xmm1 */
        0x66, 0x0f, 0x3a, 0x63, 0xd3, 0x00, /* pcmpistri xmm2, xmm3, 0 */
        EXIT_JMP,
    };
    uint8_t x0[16], x1[16], out[16];
    uint8_t set[16] = { 'c' }, str[16] = { 'a', 'b', 'c', 'd' };

    for (int i = 0; i < 16; i++) {
        x0[i] = (uint8_t)i;
        x1[i] = (uint8_t)(15 - i);
    }
    set_map(m, CODE_VA, FRAME_A, RX);
    put(m, FRAME_A, code, sizeof(code));
    set_reg(m, UC_X86_REG_RBX, 0xf0f0);
    ck_assert_int_eq(uc_reg_write(m->uc, UC_X86_REG_XMM0, x0), UC_ERR_OK);
    ck_assert_int_eq(uc_reg_write(m->uc, UC_X86_REG_XMM1, x1), UC_ERR_OK);
    ck_assert_int_eq(uc_reg_write(m->uc, UC_X86_REG_XMM2, set), UC_ERR_OK);
    ck_assert_int_eq(uc_reg_write(m->uc, UC_X86_REG_XMM3, str), UC_ERR_OK);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 8);
    ck_assert_int_eq(uc_reg_read(m->uc, UC_X86_REG_XMM0, out), UC_ERR_OK);
    ck_assert_mem_eq(out, x1, 16); /* bytes reversed */
    ck_assert_uint_eq(reg(m, UC_X86_REG_RCX), 2); /* 'c' found at index 2 */
    machine_free(m);
}
END_TEST

START_TEST(test_cpu_cpuid_leaf1)
{
    struct machine *m = machine_new();
    static const uint8_t code[] = {
        0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
        0x31, 0xc9,                   /* xor ecx, ecx */
        0x0f, 0xa2,                   /* cpuid */
        EXIT_JMP,
    };
    uint64_t ecx;

    set_map(m, CODE_VA, FRAME_A, RX);
    put(m, FRAME_A, code, sizeof(code));
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ecx = reg(m, UC_X86_REG_RCX);
    ck_assert_uint_eq(ecx >> 9 & 1, 1);  /* SSSE3 */
    ck_assert_uint_eq(ecx >> 20 & 1, 1); /* SSE4.2 */
    ck_assert_uint_eq(ecx >> 23 & 1, 1); /* POPCNT */
    ck_assert_uint_eq(ecx >> 26 & 1, 1); /* XSAVE */
    ck_assert_uint_eq(ecx >> 27 & 1, 0); /* OSXSAVE */
    ck_assert_uint_eq(ecx >> 28 & 1, 0); /* AVX */
    machine_free(m);
}
END_TEST

START_TEST(test_cpu_xgetbv_invalid)
{
    struct machine *m = machine_new();
    static const uint8_t code[] = {
        0x90,             /* nop */
        0x31, 0xc9,       /* xor ecx, ecx */
        0x0f, 0x01, 0xd0, /* 0x401003: xgetbv */
        EXIT_JMP,
    };

    set_map(m, CODE_VA, FRAME_A, RX);
    put(m, FRAME_A, code, sizeof(code));
    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_INSN_INVALID);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), CODE_VA + 3);
    machine_free(m);
}
END_TEST

/* ---- 10. hlt and CPU exceptions --------------------------------------- */

/* vmemu relies on: hlt (run at CPL 0) ends uc_emu_start with UC_ERR_OK;
 * #DE arrives at UC_HOOK_INTR as interrupt 0 with RIP at the div; ud2 gives
 * UC_ERR_INSN_INVALID with RIP at the ud2, not an interrupt-hook call. */
struct intr_probe {
    struct machine *m;
    int calls;
    uint32_t intno;
    uint64_t rip;
};

static void on_intr(uc_engine *uc, uint32_t intno, void *user)
{
    struct intr_probe *p = user;

    p->calls++;
    p->intno = intno;
    p->rip = reg(p->m, UC_X86_REG_RIP);
    ck_assert_int_eq(uc_emu_stop(uc), UC_ERR_OK); /* else #DE repeats forever */
}

static struct machine *exc_setup(const uint8_t *code, size_t n,
                                 struct intr_probe *p)
{
    struct machine *m = machine_new();
    uc_hook h;

    set_map(m, CODE_VA, FRAME_A, RX);
    put(m, FRAME_A, code, n);
    if (p) {
        memset(p, 0, sizeof(*p));
        p->m = m;
        ck_assert_int_eq(uc_hook_add(m->uc, &h, UC_HOOK_INTR, (void *)on_intr,
                                     p, 1, 0),
                         UC_ERR_OK);
    }
    return m;
}

static const uint8_t div_zero[] = {
    0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
    0x31, 0xd2,                   /* xor edx, edx */
    0x31, 0xc9,                   /* xor ecx, ecx */
    0xf7, 0xf1,                   /* 0x401009: div ecx */
    EXIT_JMP,
};
static const uint8_t ud2_code[] = {
    0x90,       /* nop */
    0x0f, 0x0b, /* 0x401001: ud2 */
    EXIT_JMP,
};

START_TEST(test_hlt_ends_run_quietly)
{
    static const uint8_t code[] = {
        0xb8, 0x05, 0x00, 0x00, 0x00, /* mov eax, 5 */
        0xf4,                         /* hlt */
        0xb8, 0x06, 0x00, 0x00, 0x00, /* 0x401006: mov eax, 6 */
        EXIT_JMP,
    };
    struct intr_probe p;
    struct machine *m = exc_setup(code, sizeof(code), &p);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), CODE_VA + 6);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 5);
    ck_assert_int_eq(p.calls, 0);
    machine_free(m);
}
END_TEST

START_TEST(test_divide_error_is_intr_0)
{
    struct intr_probe p;
    struct machine *m = exc_setup(div_zero, sizeof(div_zero), &p);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_int_eq(p.calls, 1);
    ck_assert_uint_eq(p.intno, 0);
    ck_assert_uint_eq(p.rip, CODE_VA + 9);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), CODE_VA + 9);
    machine_free(m);
}
END_TEST

/* Without a UC_HOOK_INTR hook the same #DE is UC_ERR_EXCEPTION. */
START_TEST(test_divide_error_without_intr_hook)
{
    struct machine *m = exc_setup(div_zero, sizeof(div_zero), NULL);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_EXCEPTION);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), CODE_VA + 9);
    machine_free(m);
}
END_TEST

START_TEST(test_ud2_is_insn_invalid)
{
    struct intr_probe p;
    struct machine *m = exc_setup(ud2_code, sizeof(ud2_code), &p);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_INSN_INVALID);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RIP), CODE_VA + 1);
    ck_assert_int_eq(p.calls, 0);
    machine_free(m);
}
END_TEST

/* ---- 11. FS base ------------------------------------------------------ */

/* vmemu relies on: arch_prctl(ARCH_SET_FS) is uc_reg_write(FS_BASE), and
 * %fs-relative loads go through the fill hook at FS base + offset. */
START_TEST(test_fs_base)
{
    struct machine *m = machine_new();
    static const uint8_t code[] = {
        0x64, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, /* mov rax, fs:0 */
        EXIT_JMP,
    };
    static const struct fill want[] = {
        { CODE_VA, UC_MEM_FETCH },
        { DATA_VA, UC_MEM_READ },
        { KEXIT_VA, UC_MEM_FETCH },
    };

    set_map(m, CODE_VA, FRAME_A, RX);
    set_map(m, DATA_VA, DATA_PA, RW);
    put(m, FRAME_A, code, sizeof(code));
    poke64(m, DATA_PA + 0x10, 0xdeadbeefcafef00dull);
    set_reg(m, UC_X86_REG_FS_BASE, DATA_VA + 0x10);
    ck_assert_uint_eq(reg(m, UC_X86_REG_FS_BASE), DATA_VA + 0x10);

    ck_assert_int_eq(run(m, CODE_VA), UC_ERR_OK);
    ck_assert_uint_eq(reg(m, UC_X86_REG_RAX), 0xdeadbeefcafef00dull);
    expect_log(m, want, 3);
    machine_free(m);
}
END_TEST

/* ----------------------------------------------------------------------- */

static TCase *tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *unicorn_contract_suite(void)
{
    Suite *s = suite_create("unicorn_contract");
    TCase *tc;

    /* vmemu relies on: the walker sees page-aligned VA + access type; clean pages refill on store. */
    tc = tcase(s, "fill_hook_arguments");
    tcase_add_test(tc, test_fill_args);

    /* vmemu relies on: the after-run look-up of until - 1 hits a kernel-only R|X page. */
    tc = tcase(s, "until_lookup");
    tcase_add_test(tc, test_until_lookup_after_run);
    tcase_add_test(tc, test_until_lookup_is_of_until_minus_1);
    tcase_add_test(tc, test_until_lookup_refused_is_an_error);

    /* vmemu relies on: a refused fill is UC_ERR_EXCEPTION at the faulting RIP, no invalid-mem hook. */
    tc = tcase(s, "refused_fill");
    tcase_add_test(tc, test_refused_read);
    tcase_add_test(tc, test_refused_write);
    tcase_add_test(tc, test_refused_write_by_perms);
    tcase_add_test(tc, test_refused_fetch);

    /* vmemu relies on: rewritten frames keep old code until remove_cache via any R|X alias. */
    tc = tcase(s, "stale_code");
    tcase_add_test(tc, test_stale_code_survives_tlb_flush);
    tcase_add_test(tc, test_remove_cache_by_va);
    tcase_add_test(tc, test_remove_cache_by_alias);
    tcase_add_test(tc, test_remove_cache_alias_needs_exec);
    tcase_add_test(tc, test_new_frame_runs_new_code);

    /* vmemu relies on: uc_ctl_flush_tlb inside the fill hook is safe. */
    tc = tcase(s, "flush_in_fill_hook");
    tcase_add_test(tc, test_flush_inside_fill_hook);

    /* vmemu relies on: uc_emu_stop in the block hook is a safe preemption point. */
    tc = tcase(s, "stop_in_block_hook");
    tcase_add_test(tc, test_stop_in_block_hook);

    /* vmemu relies on: context restore keeps the TLB; an mm switch must flush. */
    tc = tcase(s, "context_and_tlb");
    tcase_add_test(tc, test_context_restore_keeps_tlb);
    tcase_add_test(tc, test_context_switch_to_new_mapping_needs_flush);
    tcase_add_test(tc, test_context_carries_fs_base_and_xmm);

    /* vmemu relies on: syscall hook RIP/RCX/R11 semantics and stop leaving RIP past the syscall. */
    tc = tcase(s, "syscall_hook");
    tcase_add_test(tc, test_syscall_registers_in_hook);
    tcase_add_test(tc, test_syscall_hook_rip_write_gets_plus_2);
    tcase_add_test(tc, test_syscall_hook_stop);
    tcase_add_test(tc, test_syscall_hook_rip_write_then_stop);

    /* vmemu relies on: Haswell runs SSE4.2/POPCNT, claims XSAVE without OSXSAVE, xgetbv is #UD. */
    tc = tcase(s, "cpu_model");
    tcase_add_test(tc, test_cpu_simd_instructions);
    tcase_add_test(tc, test_cpu_cpuid_leaf1);
    tcase_add_test(tc, test_cpu_xgetbv_invalid);

    /* vmemu relies on: hlt ends a run quietly, #DE is INTR 0, ud2 is UC_ERR_INSN_INVALID. */
    tc = tcase(s, "hlt_and_exceptions");
    tcase_add_test(tc, test_hlt_ends_run_quietly);
    tcase_add_test(tc, test_divide_error_is_intr_0);
    tcase_add_test(tc, test_divide_error_without_intr_hook);
    tcase_add_test(tc, test_ud2_is_insn_invalid);

    /* vmemu relies on: FS_BASE written with uc_reg_write is used by %fs: loads. */
    tc = tcase(s, "fs_base");
    tcase_add_test(tc, test_fs_base);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(unicorn_contract_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
