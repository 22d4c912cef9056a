package io.strata.jms.share;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Predicate;

/**
 * Elements waiting to be handed out, highest priority first: one FIFO lane per priority level, 0 (lowest) to
 * {@code levels - 1}; {@link #poll} takes the oldest element of the highest lane that has one. So a higher priority
 * overtakes a lower one, and elements of one priority leave in the order they were added: JMS's "higher priority
 * first, within what is available", which keeps the order of one producer's messages of the same priority. With one
 * level it is a plain FIFO queue. {@link #addFirst} puts an element back in front of its lane, for one handed out and
 * given back (delivered again before the others of its priority).
 *
 * <p>Costs: add and poll are O(levels), no allocation beyond the lanes' arrays. It has no bound of its own: its
 * users bound what they add (the engine's {@link RecordBuffer}, the JMS provider's non-durable subscribers). Not
 * thread-safe: its users hold their own lock.
 *
 * @param <E> the elements
 */
public final class PriorityBuffer<E> {

    /** JMS's priorities, 0 to 9. */
    public static final int JMS_LEVELS = 10;

    private final ArrayDeque<E>[] lanes;
    private int size;

    /** A buffer of priorities 0 to {@code levels - 1}. */
    @SuppressWarnings("unchecked")
    public PriorityBuffer(int levels) {
        if (levels < 1 || levels > 256) {
            throw new IllegalArgumentException("a priority buffer has 1 to 256 levels; got " + levels);
        }
        lanes = new ArrayDeque[levels];
        for (int i = 0; i < levels; i++) {
            lanes[i] = new ArrayDeque<>();
        }
    }

    /** Adds {@code element} behind the others of its {@code priority}. */
    public void add(E element, int priority) {
        lane(priority).addLast(element);
        size++;
    }

    /** Puts {@code element} in front of the others of its {@code priority}. */
    public void addFirst(E element, int priority) {
        lane(priority).addFirst(element);
        size++;
    }

    /** The oldest element of the highest priority, removed; null when empty. */
    public E poll() {
        if (size == 0) {
            return null;
        }
        for (int level = lanes.length - 1; level >= 0; level--) {
            E element = lanes[level].pollFirst();
            if (element != null) {
                size--;
                return element;
            }
        }
        throw new IllegalStateException("the priority buffer counts " + size + " elements but its lanes are empty");
    }

    /** Removes every element {@code filter} accepts (asked once per element); returns how many went. */
    public int removeIf(Predicate<? super E> filter) {
        int removed = 0;
        for (ArrayDeque<E> lane : lanes) {
            Iterator<E> iterator = lane.iterator();
            while (iterator.hasNext()) {
                if (filter.test(iterator.next())) {
                    iterator.remove();
                    removed++;
                }
            }
        }
        size -= removed;
        return removed;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    private ArrayDeque<E> lane(int priority) {
        if (priority < 0 || priority >= lanes.length) {
            throw new IllegalArgumentException("priority " + priority + " is not within 0 to " + (lanes.length - 1));
        }
        return lanes[priority];
    }
}
