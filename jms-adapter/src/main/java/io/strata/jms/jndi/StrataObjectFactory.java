package io.strata.jms.jndi;

import io.strata.jms.client.StrataConnectionFactory;
import io.strata.jms.client.StrataXAConnectionFactory;
import io.strata.jms.destination.StrataQueue;
import io.strata.jms.destination.StrataTopic;

import javax.naming.Context;
import javax.naming.Name;
import javax.naming.NamingException;
import javax.naming.RefAddr;
import javax.naming.Reference;
import javax.naming.spi.ObjectFactory;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.Properties;

/**
 * Rebuilds Strata's administered objects from the {@link Reference}s they give a JNDI server that stores references
 * rather than serialized objects (an LDAP directory, an application server's naming service):
 *
 * <ul>
 *   <li>{@link StrataConnectionFactory} and {@link StrataXAConnectionFactory} (the reference names which): one
 *       {@code StringRefAddr} per property, its type the property's name (the kafka-clients and {@code strata.jms.*}
 *       settings);</li>
 *   <li>{@link StrataQueue} and {@link StrataTopic}: one {@code StringRefAddr} of type {@value #NAME}, the
 *       destination's name.</li>
 * </ul>
 *
 * Any other object or reference is not Strata's: {@link #getObjectInstance} returns null, as JNDI expects of a
 * factory that cannot make the object, so the next factory is tried. Stateless, so thread-safe.
 */
public final class StrataObjectFactory implements ObjectFactory {

    /** The address type that holds a destination's name. */
    public static final String NAME = "name";

    @Override
    public Object getObjectInstance(Object obj, Name name, Context nameCtx, Hashtable<?, ?> environment)
            throws NamingException {
        if (!(obj instanceof Reference reference)) {
            return null;
        }
        String className = reference.getClassName();
        boolean xa = StrataXAConnectionFactory.class.getName().equals(className);
        if (xa || StrataConnectionFactory.class.getName().equals(className)) {
            Properties properties = new Properties();
            Enumeration<RefAddr> addresses = reference.getAll();
            while (addresses.hasMoreElements()) {
                RefAddr address = addresses.nextElement();
                if (address.getContent() != null) {
                    properties.setProperty(address.getType(), address.getContent().toString());
                }
            }
            try {
                return xa ? new StrataXAConnectionFactory(properties) : new StrataConnectionFactory(properties);
            } catch (IllegalArgumentException e) {
                NamingException failure = new NamingException("the reference to a " + className
                        + (name == null ? "" : " at '" + name + "'") + " is not usable: " + e.getMessage());
                failure.setRootCause(e);
                throw failure;
            }
        }
        if (StrataQueue.class.getName().equals(className)) {
            return new StrataQueue(destinationName(reference, name));
        }
        if (StrataTopic.class.getName().equals(className)) {
            return new StrataTopic(destinationName(reference, name));
        }
        return null;
    }

    private static String destinationName(Reference reference, Name name) throws NamingException {
        RefAddr address = reference.get(NAME);
        if (address == null || address.getContent() == null || address.getContent().toString().isEmpty()) {
            throw new NamingException("the reference to a " + reference.getClassName()
                    + (name == null ? "" : " at '" + name + "'") + " has no '" + NAME + "' address");
        }
        return address.getContent().toString();
    }
}
