package io.strata.jms.client;

import io.strata.jms.message.PropertyNames;
import jakarta.jms.ConnectionMetaData;

import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * What a connection says of its provider (JMS 3.1 section 6.1.5): Jakarta Messaging 3.1, provider Strata, and the
 * JMSX properties it supports: JMSXDeliveryCount (the share group's delivery count), JMSXGroupID (the record key)
 * and JMSXGroupSeq. Immutable.
 */
final class StrataConnectionMetaData implements ConnectionMetaData {

    static final String PROVIDER_NAME = "Strata";
    static final String PROVIDER_VERSION = providerVersion();

    @Override
    public String getJMSVersion() {
        return "3.1";
    }

    @Override
    public int getJMSMajorVersion() {
        return 3;
    }

    @Override
    public int getJMSMinorVersion() {
        return 1;
    }

    @Override
    public String getJMSProviderName() {
        return PROVIDER_NAME;
    }

    @Override
    public String getProviderVersion() {
        return PROVIDER_VERSION;
    }

    @Override
    public int getProviderMajorVersion() {
        return versionPart(0);
    }

    @Override
    public int getProviderMinorVersion() {
        return versionPart(1);
    }

    @Override
    public Enumeration<String> getJMSXPropertyNames() {
        return Collections.enumeration(List.of(PropertyNames.JMSX_DELIVERY_COUNT, PropertyNames.JMSX_GROUP_ID,
                PropertyNames.JMSX_GROUP_SEQ));
    }

    /** The jar's Implementation-Version, {@code 0.1.0} when run from classes (tests). */
    private static String providerVersion() {
        String version = StrataConnectionMetaData.class.getPackage().getImplementationVersion();
        return version == null ? "0.1.0" : version;
    }

    private static int versionPart(int index) {
        String[] parts = PROVIDER_VERSION.split("[.-]");
        try {
            return index < parts.length ? Integer.parseInt(parts[index]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
