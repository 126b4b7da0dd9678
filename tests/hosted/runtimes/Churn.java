// The host's JVM under abi-run --root /, against native: 8 threads share a
// ConcurrentHashMap, a synchronized counter and a wait/notify hand-off; a
// hot method's null dereference (HotSpot's implicit null check: a SIGSEGV
// that its handler turns into a NullPointerException) is caught; enough
// garbage for many collections at -Xmx64m. Every line it prints is
// deterministic (tests/hosted/test_runtimes.py compares them).
//
//     javac -d DIR Churn.java && java -Xmx64m -cp DIR Churn

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

public final class Churn {
    static final int THREADS = 8;
    static final int ROUNDS = 20_000;

    static final Object lock = new Object();
    static long counter;

    // A one-slot mailbox: put waits while full, take while empty.
    static final class Mailbox {
        private final ArrayDeque<Long> slot = new ArrayDeque<>();

        synchronized void put(long v) throws InterruptedException {
            while (!slot.isEmpty()) {
                wait();
            }
            slot.add(v);
            notifyAll();
        }

        synchronized long take() throws InterruptedException {
            while (slot.isEmpty()) {
                wait();
            }
            long v = slot.remove();
            notifyAll();
            return v;
        }
    }

    static final class Box {
        int value;
    }

    // Hot enough for the JIT; box is null on every 97th call.
    static int deref(Box box) {
        return box.value;
    }

    static long nulls() {
        Box box = new Box();
        box.value = 3;
        long sum = 0;
        long caught = 0;
        for (int i = 0; i < 200_000; i++) {
            try {
                sum += deref(i % 97 == 0 ? null : box);
            } catch (NullPointerException e) {
                caught++;
            }
        }
        System.out.println("null dereferences caught: " + caught);
        return sum + caught;
    }

    static long churn() {
        // 1 GiB of garbage through a 64 MiB heap, keeping 16 MiB alive.
        byte[][] window = new byte[16][];
        long sum = 0;
        for (int i = 0; i < 1024; i++) {
            byte[] b = new byte[1 << 20];
            b[i % b.length] = (byte) i;
            window[i % window.length] = b;
            sum += b[i % b.length];
        }
        return sum;
    }

    public static void main(String[] args) throws Exception {
        ConcurrentHashMap<Integer, Long> map = new ConcurrentHashMap<>();
        Mailbox box = new Mailbox();
        AtomicLong received = new AtomicLong();
        Thread[] threads = new Thread[THREADS];
        for (int t = 0; t < THREADS; t++) {
            final int id = t;
            threads[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < ROUNDS; i++) {
                        map.merge(i % 1000, (long) (i ^ id), Long::sum);
                        synchronized (lock) {
                            counter++;
                        }
                    }
                    // Even threads send 100 values, odd ones receive 100.
                    for (int i = 0; i < 100; i++) {
                        if (id % 2 == 0) {
                            box.put(id * 1000L + i);
                        } else {
                            received.addAndGet(box.take());
                        }
                    }
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            }, "worker-" + t);
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        long mapSum = 0;
        for (long v : map.values()) {
            mapSum += v;
        }
        System.out.println("map size " + map.size() + " sum " + mapSum);
        System.out.println("synchronized counter " + counter);
        System.out.println("mailbox received " + received.get());
        long n = nulls();
        long c = churn();
        long gcs = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs += Math.max(0, gc.getCollectionCount());
        }
        System.out.println("several collections: " + (gcs >= 3));
        long checksum = mapSum * 31 + counter * 17 + received.get() * 13 + n * 7 + c;
        System.out.println("checksum " + checksum);
    }
}
