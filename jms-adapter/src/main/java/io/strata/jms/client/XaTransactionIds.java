package io.strata.jms.client;

import javax.transaction.xa.Xid;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * One XA branch is one Kafka transactional id, derived from its Xid: {@code strata-xa:<formatId>:<hex global
 * transaction id>:<hex branch qualifier>} (lower-case hex, the format id in decimal). Recovery needs no state of its own
 * then: the coordinators' Prepared transactions whose ids start with {@value #PREFIX} are the prepared branches, and
 * their Xids are read back from the ids. At most 64 + 64 bytes of Xid make at most 284 characters of id. Stateless.
 */
final class XaTransactionIds {

    /** What every XA branch's transactional id starts with, and what recovery lists. */
    static final String PREFIX = "strata-xa:";
    private static final HexFormat HEX = HexFormat.of();

    private XaTransactionIds() {
    }

    /** The transactional id of the branch {@code xid}. */
    static String of(Xid xid) {
        byte[] global = xid.getGlobalTransactionId();
        byte[] branch = xid.getBranchQualifier();
        if (global == null || global.length == 0 || global.length > Xid.MAXGTRIDSIZE || branch == null
                || branch.length > Xid.MAXBQUALSIZE) {
            throw new IllegalArgumentException("not a valid Xid: global transaction id of "
                    + (global == null ? "null" : global.length + " bytes") + ", branch qualifier of "
                    + (branch == null ? "null" : branch.length + " bytes"));
        }
        return PREFIX + xid.getFormatId() + ":" + HEX.formatHex(global) + ":" + HEX.formatHex(branch);
    }

    /** The Xid of a transactional id made by {@link #of}, or null when it is not one. */
    static Xid parse(String transactionalId) {
        if (!transactionalId.startsWith(PREFIX)) {
            return null;
        }
        String[] parts = transactionalId.substring(PREFIX.length()).split(":", -1);
        if (parts.length != 3) {
            return null;
        }
        try {
            int formatId = Integer.parseInt(parts[0]);
            byte[] global = HEX.parseHex(parts[1].toLowerCase(Locale.ROOT));
            byte[] branch = HEX.parseHex(parts[2].toLowerCase(Locale.ROOT));
            if (global.length == 0 || global.length > Xid.MAXGTRIDSIZE || branch.length > Xid.MAXBQUALSIZE) {
                return null;
            }
            return new StrataXid(formatId, global, branch);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** An Xid read back from a transactional id; equal to any Xid of the same three parts. Immutable. */
    record StrataXid(int formatId, byte[] global, byte[] branch) implements Xid {

        StrataXid {
            global = global.clone();
            branch = branch.clone();
        }

        @Override
        public int getFormatId() {
            return formatId;
        }

        @Override
        public byte[] getGlobalTransactionId() {
            return global.clone();
        }

        @Override
        public byte[] getBranchQualifier() {
            return branch.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Xid xid && xid.getFormatId() == formatId
                    && Arrays.equals(xid.getGlobalTransactionId(), global)
                    && Arrays.equals(xid.getBranchQualifier(), branch);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * formatId + Arrays.hashCode(global)) + Arrays.hashCode(branch);
        }

        @Override
        public String toString() {
            return "Xid " + formatId + ":" + HEX.formatHex(global) + ":" + HEX.formatHex(branch);
        }
    }
}
