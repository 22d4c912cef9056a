package io.strata.jms.message;

import jakarta.jms.JMSException;
import jakarta.jms.TextMessage;

/**
 * A TextMessage: a String body, or none (null). Read-only after receive until {@link #clearBody()}.
 * Not thread-safe, as JMS messages are not.
 */
public class StrataTextMessage extends StrataMessage implements TextMessage {

    private String text;

    public StrataTextMessage() {
    }

    public StrataTextMessage(String text) {
        this.text = text;
    }

    @Override
    public void setText(String text) throws JMSException {
        checkBodyWritable();
        this.text = text;
    }

    @Override
    public String getText() {
        return text;
    }

    @Override
    protected void clearBodyContent() {
        text = null;
    }

    @Override
    protected boolean hasNoBody() {
        return text == null;
    }

    @Override
    protected Object bodyObject() {
        return text;
    }
}
