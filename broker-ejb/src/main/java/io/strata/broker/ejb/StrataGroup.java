package io.strata.broker.ejb;

import jakarta.enterprise.util.Nonbinding;
import jakarta.inject.Qualifier;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Asks for a kafka-clients {@code Consumer} that is a member of consumer group {@link #value()}:
 * {@code @Inject @StrataGroup("billing") Consumer<String, String> consumer;}. Without it, an injected consumer
 * belongs to no group and is used with {@code assign} and {@code seek}.
 */
@Qualifier
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.TYPE})
public @interface StrataGroup {

    @Nonbinding
    String value() default "";
}
