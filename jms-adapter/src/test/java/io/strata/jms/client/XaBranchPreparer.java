package io.strata.jms.client;

import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.TextMessage;
import jakarta.jms.XAConnection;
import jakarta.jms.XASession;

import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * The main class of a child JVM that {@link XaRecoveryAfterKillTest} kills: it connects to the broker given as its
 * first argument, and in one XA branch (global transaction id its fourth argument) receives every message of the queue
 * named second (as many as its fifth argument says) and sends one per message to the queue named third; it ends and
 * prepares the branch, prints {@code prepared}, then waits to be killed, never completing it.
 */
public final class XaBranchPreparer {

    static final int FORMAT_ID = 0x4b49;

    private XaBranchPreparer() {
    }

    static Xid xid(String global) {
        return new XaTransactionIds.StrataXid(FORMAT_ID, global.getBytes(StandardCharsets.UTF_8), new byte[] {1});
    }

    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", args[0]);
        XAConnection connection = new StrataXAConnectionFactory(properties).createXAConnection();
        XASession session = connection.createXASession();
        Queue in = session.createQueue(args[1]);
        Queue out = session.createQueue(args[2]);
        Xid xid = xid(args[3]);
        int count = Integer.parseInt(args[4]);
        MessageConsumer consumer = session.createConsumer(in);
        MessageProducer producer = session.createProducer(out);
        connection.start();
        XAResource resource = session.getXAResource();
        resource.start(xid, XAResource.TMNOFLAGS);
        for (int i = 0; i < count; i++) {
            Message message = consumer.receive(30_000);
            if (message == null) {
                throw new IllegalStateException("only " + i + " of " + count + " messages came");
            }
            producer.send(session.createTextMessage("shipped " + ((TextMessage) message).getText()));
        }
        resource.end(xid, XAResource.TMSUCCESS);
        if (resource.prepare(xid) != XAResource.XA_OK) {
            throw new IllegalStateException("the branch was not prepared");
        }
        System.out.println("prepared");
        System.out.flush();
        Thread.currentThread().join(); // until killed: the branch is never completed
    }
}
