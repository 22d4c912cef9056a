package io.strata.jms.jndi;

import javax.naming.Binding;
import javax.naming.CompositeName;
import javax.naming.Context;
import javax.naming.InvalidNameException;
import javax.naming.Name;
import javax.naming.NameClassPair;
import javax.naming.NameNotFoundException;
import javax.naming.NameParser;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.NotContextException;
import javax.naming.OperationNotSupportedException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Hashtable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The naming context {@link StrataInitialContextFactory} gives a standalone application: the connection factories and
 * destinations its environment declared, in a tree of sub-contexts split on {@code /} (so {@code jms/orders} is
 * {@code orders} in the sub-context {@code jms}). It is read-only: what an application can look up is what its
 * {@code jndi.properties} says, so {@code bind}, {@code rebind}, {@code unbind}, {@code rename} and the creation or
 * destruction of sub-contexts throw {@link OperationNotSupportedException}.
 *
 * <p>A context may also answer names it does not hold with a function ({@code dynamicQueues/NAME} makes the queue
 * {@code NAME}); such names are not listed.
 *
 * <p>Thread-safe: the bindings never change after construction; only the environment, which JNDI lets an application
 * change and which this context only reports, is synchronized.
 */
final class ReadOnlyContext implements Context {

    private static final NameParser PARSER = CompositeName::new;

    private final String nameInNamespace;
    private final Map<String, Object> bindings;
    private final Function<String, Object> onDemand;
    private final Hashtable<Object, Object> environment;

    /**
     * A context named {@code nameInNamespace} ("" for the root) holding {@code bindings} (values may be other
     * contexts), answering other atomic names with {@code onDemand} when it is not null.
     */
    ReadOnlyContext(String nameInNamespace, Map<String, Object> bindings, Function<String, Object> onDemand,
                    Hashtable<?, ?> environment) {
        this.nameInNamespace = nameInNamespace;
        this.bindings = Collections.unmodifiableMap(new TreeMap<>(bindings));
        this.onDemand = onDemand;
        this.environment = new Hashtable<>(environment);
    }

    // ------------------------------------------------------------------------------------------------- lookup

    @Override
    public Object lookup(Name name) throws NamingException {
        if (name.isEmpty()) {
            return new ReadOnlyContext(nameInNamespace, bindings, onDemand, getEnvironment());
        }
        String first = name.get(0);
        Object value = bindings.get(first);
        if (value == null && onDemand != null) {
            // A dynamic context takes the whole rest of the name, slashes included, as the destination's name.
            String rest = String.join("/", Collections.list(name.getAll()));
            if (rest.isEmpty()) {
                throw new InvalidNameException("'" + qualified(name) + "' names no destination: give a name after"
                        + " '" + nameInNamespace + "/'");
            }
            return onDemand.apply(rest);
        }
        if (value == null) {
            NameNotFoundException notFound = new NameNotFoundException("'" + qualified(name) + "' is not bound;"
                    + " declare it in jndi.properties (connectionFactory.NAME, queue.NAME, topic.NAME) or look up"
                    + " dynamicQueues/NAME or dynamicTopics/NAME");
            notFound.setRemainingName(name);
            throw notFound;
        }
        if (name.size() == 1) {
            return value;
        }
        if (value instanceof Context sub) {
            return sub.lookup(name.getSuffix(1));
        }
        throw new NotContextException("'" + qualified(name.getPrefix(1)) + "' is a " + value.getClass().getSimpleName()
                + ", not a context, so '" + qualified(name) + "' cannot be looked up");
    }

    @Override
    public Object lookup(String name) throws NamingException {
        return lookup(new CompositeName(name));
    }

    @Override
    public Object lookupLink(Name name) throws NamingException {
        return lookup(name); // no links here
    }

    @Override
    public Object lookupLink(String name) throws NamingException {
        return lookup(name);
    }

    // ------------------------------------------------------------------------------------------------- listing

    @Override
    public NamingEnumeration<NameClassPair> list(Name name) throws NamingException {
        List<NameClassPair> pairs = new ArrayList<>();
        contextAt(name).bindings.forEach((key, value) -> pairs.add(new NameClassPair(key, value.getClass().getName())));
        return new ListEnumeration<>(pairs);
    }

    @Override
    public NamingEnumeration<NameClassPair> list(String name) throws NamingException {
        return list(new CompositeName(name));
    }

    @Override
    public NamingEnumeration<Binding> listBindings(Name name) throws NamingException {
        List<Binding> list = new ArrayList<>();
        contextAt(name).bindings.forEach((key, value) -> list.add(new Binding(key, value)));
        return new ListEnumeration<>(list);
    }

    @Override
    public NamingEnumeration<Binding> listBindings(String name) throws NamingException {
        return listBindings(new CompositeName(name));
    }

    private ReadOnlyContext contextAt(Name name) throws NamingException {
        Object found = lookup(name);
        if (found instanceof ReadOnlyContext context) {
            return context;
        }
        throw new NotContextException("'" + qualified(name) + "' is a " + found.getClass().getSimpleName()
                + ", not a context; only contexts can be listed");
    }

    // ------------------------------------------------------------------------------------------------- read-only

    @Override
    public void bind(Name name, Object obj) throws NamingException {
        throw readOnly("bind", name.toString());
    }

    @Override
    public void bind(String name, Object obj) throws NamingException {
        throw readOnly("bind", name);
    }

    @Override
    public void rebind(Name name, Object obj) throws NamingException {
        throw readOnly("rebind", name.toString());
    }

    @Override
    public void rebind(String name, Object obj) throws NamingException {
        throw readOnly("rebind", name);
    }

    @Override
    public void unbind(Name name) throws NamingException {
        throw readOnly("unbind", name.toString());
    }

    @Override
    public void unbind(String name) throws NamingException {
        throw readOnly("unbind", name);
    }

    @Override
    public void rename(Name oldName, Name newName) throws NamingException {
        throw readOnly("rename", oldName.toString());
    }

    @Override
    public void rename(String oldName, String newName) throws NamingException {
        throw readOnly("rename", oldName);
    }

    @Override
    public void destroySubcontext(Name name) throws NamingException {
        throw readOnly("destroySubcontext", name.toString());
    }

    @Override
    public void destroySubcontext(String name) throws NamingException {
        throw readOnly("destroySubcontext", name);
    }

    @Override
    public Context createSubcontext(Name name) throws NamingException {
        throw readOnly("createSubcontext", name.toString());
    }

    @Override
    public Context createSubcontext(String name) throws NamingException {
        throw readOnly("createSubcontext", name);
    }

    private OperationNotSupportedException readOnly(String operation, String name) {
        return new OperationNotSupportedException(operation + "('" + name + "') is not supported: Strata's JNDI"
                + " context is read-only and holds what the environment (jndi.properties) declares");
    }

    // ------------------------------------------------------------------------------------------------- names

    @Override
    public NameParser getNameParser(Name name) {
        return PARSER;
    }

    @Override
    public NameParser getNameParser(String name) {
        return PARSER;
    }

    @Override
    public Name composeName(Name name, Name prefix) throws NamingException {
        return ((Name) prefix.clone()).addAll(name);
    }

    @Override
    public String composeName(String name, String prefix) throws NamingException {
        return composeName(new CompositeName(name), new CompositeName(prefix)).toString();
    }

    @Override
    public String getNameInNamespace() {
        return nameInNamespace;
    }

    private String qualified(Name name) {
        return nameInNamespace.isEmpty() ? name.toString() : nameInNamespace + "/" + name;
    }

    // ------------------------------------------------------------------------------------------------- environment

    @Override
    public Object addToEnvironment(String propName, Object propVal) {
        synchronized (environment) {
            return environment.put(propName, propVal);
        }
    }

    @Override
    public Object removeFromEnvironment(String propName) {
        synchronized (environment) {
            return environment.remove(propName);
        }
    }

    @Override
    public Hashtable<?, ?> getEnvironment() {
        synchronized (environment) {
            return new Hashtable<>(environment);
        }
    }

    /** Nothing to release: the context holds no connection; the connection factories make theirs when asked. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "ReadOnlyContext[" + (nameInNamespace.isEmpty() ? "/" : nameInNamespace) + ", " + bindings.keySet()
                + "]";
    }

    /** A NamingEnumeration over a list made at the time of the call. */
    private static final class ListEnumeration<T> implements NamingEnumeration<T> {
        private final Iterator<T> iterator;

        ListEnumeration(List<T> items) {
            this.iterator = items.iterator();
        }

        @Override
        public T next() {
            return nextElement();
        }

        @Override
        public boolean hasMore() {
            return iterator.hasNext();
        }

        @Override
        public void close() {
        }

        @Override
        public boolean hasMoreElements() {
            return iterator.hasNext();
        }

        @Override
        public T nextElement() {
            if (!iterator.hasNext()) {
                throw new NoSuchElementException("no more names in this listing");
            }
            return iterator.next();
        }
    }
}
