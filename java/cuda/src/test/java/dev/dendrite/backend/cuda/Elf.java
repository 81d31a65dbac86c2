package dev.dendrite.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Just enough of an ELF64 little-endian reader for the static checks of the CUDA backend's native artifacts:
 * the function symbols of the CUDA cubins inside a fatbin, and the dynamic symbols (with their GNU version
 * requirements), SONAME and definitions of a shared library. No binutils or cuobjdump needed.
 */
final class Elf {
    static final int EM_X86_64 = 62;
    static final int EM_CUDA = 190;

    private static final int SHT_SYMTAB = 2;
    private static final int SHT_DYNAMIC = 6;
    private static final int SHT_DYNSYM = 11;
    private static final int SHT_GNU_VERNEED = 0x6ffffffe;
    private static final int SHT_GNU_VERSYM = 0x6fffffff;
    private static final int STT_FUNC = 2;
    private static final int STB_GLOBAL = 1;
    private static final int STB_WEAK = 2;
    private static final long DT_SONAME = 14;

    /** One symbol table entry. */
    record Symbol(String name, int type, int bind, int section, String requiredFrom) {
        boolean defined() {
            return section != 0;
        }

        boolean exportedFunction() {
            return defined() && type == STT_FUNC && (bind == STB_GLOBAL || bind == STB_WEAK);
        }
    }

    private final ByteBuffer b;
    private final int base;
    final int machine;
    final int flags;
    private final List<int[]> sections = new ArrayList<>(); // {type, link, index}
    private final List<long[]> sectionGeometry = new ArrayList<>(); // {offset, size, entsize}

    /** Parses the ELF image starting at {@code offset} of {@code data}. */
    Elf(byte[] data, int offset) {
        b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        base = offset;
        if (data.length < offset + 64 || data[offset] != 0x7f || data[offset + 1] != 'E' || data[offset + 2] != 'L'
                || data[offset + 3] != 'F') {
            throw new IllegalArgumentException("no ELF header at offset " + offset);
        }
        if (data[offset + 4] != 2 || data[offset + 5] != 1) {
            throw new IllegalArgumentException("not a little-endian ELF64 image at offset " + offset);
        }
        machine = b.getShort(base + 18) & 0xffff;
        flags = b.getInt(base + 48);
        long shoff = b.getLong(base + 40);
        int shentsize = b.getShort(base + 58) & 0xffff;
        int shnum = b.getShort(base + 60) & 0xffff;
        for (int i = 0; i < shnum; i++) {
            int h = (int) (base + shoff + (long) i * shentsize);
            int type = b.getInt(h + 4);
            long off = b.getLong(h + 24);
            long size = b.getLong(h + 32);
            int link = b.getInt(h + 40);
            long entsize = b.getLong(h + 56);
            sections.add(new int[] {type, link, i});
            sectionGeometry.add(new long[] {off, size, entsize});
        }
    }

    /** Offsets of every ELF image embedded in {@code data} (an uncompressed fatbin holds one per SASS arch). */
    static List<Integer> imageOffsets(byte[] data) {
        List<Integer> offsets = new ArrayList<>();
        for (int i = 0; i + 64 <= data.length; i++) {
            if (data[i] == 0x7f && data[i + 1] == 'E' && data[i + 2] == 'L' && data[i + 3] == 'F'
                    && data[i + 4] == 2 && data[i + 5] == 1 && data[i + 6] == 1) {
                offsets.add(i);
            }
        }
        return offsets;
    }

    /** The SM version of a CUDA cubin ({@code e_flags} bits 8..15), e.g. 80 for sm_80. */
    int cudaSm() {
        return (flags >>> 8) & 0xff;
    }

    /** Entries of the static symbol table (cubins) or, if {@code dynamic}, of the dynamic one. */
    List<Symbol> symbols(boolean dynamic) {
        int want = dynamic ? SHT_DYNSYM : SHT_SYMTAB;
        for (int s = 0; s < sections.size(); s++) {
            if (sections.get(s)[0] != want) {
                continue;
            }
            long[] g = sectionGeometry.get(s);
            int strtab = sections.get(s)[1];
            int count = (int) (g[1] / Math.max(1, g[2]));
            Map<Integer, String> required = dynamic ? versionRequirements() : Map.of();
            int[] versym = dynamic ? versionIndices(count) : null;
            List<Symbol> out = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int e = (int) (base + g[0] + (long) i * g[2]);
                String name = string(strtab, b.getInt(e));
                int info = b.get(e + 4) & 0xff;
                int shndx = b.getShort(e + 6) & 0xffff;
                String from = versym == null ? null : required.get(versym[i] & 0x7fff);
                out.add(new Symbol(name, info & 0xf, info >>> 4, shndx, from));
            }
            return out;
        }
        return List.of();
    }

    /** Names of the global functions of a cubin's symbol table: its kernels. */
    Set<String> globalFunctions() {
        Set<String> names = new LinkedHashSet<>();
        for (Symbol s : symbols(false)) {
            if (s.type() == STT_FUNC && s.bind() == STB_GLOBAL && s.defined()) {
                names.add(s.name());
            }
        }
        return names;
    }

    /** DT_SONAME of a shared library, or null. */
    String soname() {
        for (int s = 0; s < sections.size(); s++) {
            if (sections.get(s)[0] != SHT_DYNAMIC) {
                continue;
            }
            long[] g = sectionGeometry.get(s);
            for (long at = 0; at + 16 <= g[1]; at += 16) {
                int e = (int) (base + g[0] + at);
                if (b.getLong(e) == DT_SONAME) {
                    return string(sections.get(s)[1], (int) b.getLong(e + 8));
                }
            }
        }
        return null;
    }

    /** Version index -> the file that must provide it, from SHT_GNU_verneed. */
    private Map<Integer, String> versionRequirements() {
        Map<Integer, String> out = new HashMap<>();
        for (int s = 0; s < sections.size(); s++) {
            if (sections.get(s)[0] != SHT_GNU_VERNEED) {
                continue;
            }
            int strtab = sections.get(s)[1];
            long[] g = sectionGeometry.get(s);
            int need = (int) (base + g[0]);
            while (true) {
                int count = b.getShort(need + 2) & 0xffff;
                String file = string(strtab, b.getInt(need + 4));
                int aux = need + b.getInt(need + 8);
                for (int i = 0; i < count; i++) {
                    out.put(b.getShort(aux + 6) & 0xffff, file);
                    int next = b.getInt(aux + 12);
                    if (next == 0) {
                        break;
                    }
                    aux += next;
                }
                int next = b.getInt(need + 12);
                if (next == 0) {
                    break;
                }
                need += next;
            }
        }
        return out;
    }

    private int[] versionIndices(int count) {
        int[] v = new int[count];
        for (int s = 0; s < sections.size(); s++) {
            if (sections.get(s)[0] == SHT_GNU_VERSYM) {
                long[] g = sectionGeometry.get(s);
                for (int i = 0; i < count && 2L * i < g[1]; i++) {
                    v[i] = b.getShort((int) (base + g[0] + 2L * i)) & 0xffff;
                }
            }
        }
        return v;
    }

    private String string(int strtabSection, int offset) {
        long[] g = sectionGeometry.get(strtabSection);
        int start = (int) (base + g[0] + offset);
        int end = start;
        while (b.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - start];
        b.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
