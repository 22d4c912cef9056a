package io.strata.broker.config;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One listener: a name, the security protocol it speaks, and where it listens or is advertised, as written in
 * {@code listeners} and {@code advertised.listeners} ({@code NAME://host:port}, the name's protocol given by
 * {@code listener.security.protocol.map}). Immutable.
 */
public record Endpoint(String listenerName, SecurityProtocol protocol, String host, int port) {

    /** Kafka's default {@code listener.security.protocol.map}: each protocol's name is a listener of that protocol. */
    public static final String DEFAULT_PROTOCOL_MAP = "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,"
            + "SASL_SSL:SASL_SSL";

    /**
     * Parses a {@code listener.security.protocol.map} ({@code NAME:PROTOCOL,...}), naming the setting in any error.
     */
    public static Map<String, SecurityProtocol> parseProtocolMap(String setting, String value) {
        Map<String, SecurityProtocol> map = new LinkedHashMap<>();
        for (String part : value.split(",")) {
            String text = part.trim();
            if (text.isEmpty()) {
                continue;
            }
            int colon = text.indexOf(':');
            if (colon <= 0 || colon == text.length() - 1) {
                throw new ConfigException(setting, value, "expected NAME:PROTOCOL,..., such as"
                        + " CLIENT:SASL_PLAINTEXT,BROKER:PLAINTEXT");
            }
            String name = text.substring(0, colon).trim().toUpperCase(Locale.ROOT);
            String protocol = text.substring(colon + 1).trim().toUpperCase(Locale.ROOT);
            try {
                map.put(name, SecurityProtocol.forName(protocol));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(setting, value, "unknown security protocol " + protocol + " (one of "
                        + SecurityProtocol.names() + ")");
            }
        }
        return Map.copyOf(map);
    }

    /** Parses a comma-separated listener list with Kafka's default protocol map, naming the setting in any error. */
    public static List<Endpoint> parseList(String setting, String value) {
        return parseList(setting, value, parseProtocolMap("listener.security.protocol.map", DEFAULT_PROTOCOL_MAP));
    }

    /**
     * Parses a comma-separated listener list, each listener's security protocol from {@code protocolMap}, naming the
     * setting in any error. Listeners of SSL and SASL_SSL are refused: TLS comes with issue 19.
     */
    public static List<Endpoint> parseList(String setting, String value, Map<String, SecurityProtocol> protocolMap) {
        List<Endpoint> endpoints = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String part : value.split(",")) {
            String text = part.trim();
            if (text.isEmpty()) {
                continue;
            }
            Endpoint endpoint = parse(setting, text, protocolMap);
            if (!names.add(endpoint.listenerName)) {
                throw new ConfigException(setting, value, "listener " + endpoint.listenerName + " is given twice");
            }
            endpoints.add(endpoint);
        }
        return List.copyOf(endpoints);
    }

    private static Endpoint parse(String setting, String text, Map<String, SecurityProtocol> protocolMap) {
        int scheme = text.indexOf("://");
        int colon = text.lastIndexOf(':');
        if (scheme <= 0 || colon <= scheme + 2) {
            throw new ConfigException(setting, text, "expected NAME://host:port, such as PLAINTEXT://0.0.0.0:9092");
        }
        String name = text.substring(0, scheme).toUpperCase(Locale.ROOT);
        String host = text.substring(scheme + 3, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(setting, text, "the port is not a number");
        }
        if (port < 0 || port > 65_535) {
            throw new ConfigException(setting, text, "the port must be between 0 and 65535");
        }
        SecurityProtocol protocol = protocolMap.get(name);
        if (protocol == null) {
            throw new ConfigException(setting, text, "listener " + name + " has no security protocol in"
                    + " listener.security.protocol.map (" + protocolMap + ")");
        }
        if (protocol != SecurityProtocol.PLAINTEXT && protocol != SecurityProtocol.SASL_PLAINTEXT) {
            throw new ConfigException(setting, text, protocol + " listeners are not supported yet (TLS comes with"
                    + " issue 19); use PLAINTEXT or SASL_PLAINTEXT");
        }
        return new Endpoint(name, protocol, host.isEmpty() ? "0.0.0.0" : host, port);
    }

    /**
     * The listeners as clients should be told of them: a wildcard host cannot be connected to, so it is
     * advertised as {@code localhost}, which works on a laptop; other machines need {@code advertised.listeners}.
     */
    public static List<Endpoint> advertisable(List<Endpoint> listeners) {
        List<Endpoint> advertised = new ArrayList<>();
        for (Endpoint listener : listeners) {
            boolean wildcard = listener.host.equals("0.0.0.0") || listener.host.equals("::");
            advertised.add(wildcard ? new Endpoint(listener.listenerName, listener.protocol, "localhost", listener.port)
                    : listener);
        }
        return List.copyOf(advertised);
    }

    /** The same listener on another port: the one actually bound when port 0 was asked for. */
    public Endpoint withPort(int boundPort) {
        return new Endpoint(listenerName, protocol, host, boundPort);
    }

    @Override
    public String toString() {
        return listenerName + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
