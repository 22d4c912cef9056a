package io.strata.broker.share;

/**
 * An acknowledgement held pending in a producer's transaction, as it is stored with the share state so that a new
 * leader can decide it (docs/protocol-extensions.md, "Share acknowledgements inside a Kafka transaction"): the
 * producer whose COMMIT or ABORT marker decides it, that producer's epoch, the type a COMMIT applies, and the offset
 * of the topic partition from which that marker is looked for. Every marker of the producer below
 * {@code markerSearchOffset} ended an earlier transaction; the first one at or after it ends this one (the transaction
 * guard of {@link SharePartitionManager} makes it so). Immutable.
 */
public record PendingAcknowledgement(long producerId, short producerEpoch, AcknowledgeType type,
                                     long markerSearchOffset) {

    public PendingAcknowledgement {
        if (producerId < 0 || producerEpoch < 0) {
            throw new IllegalArgumentException("bad producer " + producerId + " epoch " + producerEpoch
                    + " of a pending acknowledgement");
        }
        if (type == null || type == AcknowledgeType.RENEW) {
            throw new IllegalArgumentException("acknowledge type " + type + " cannot be pending in a transaction");
        }
        if (markerSearchOffset < 0) {
            throw new IllegalArgumentException("negative marker search offset " + markerSearchOffset
                    + " of a pending acknowledgement");
        }
    }
}
