package io.strata.jms.javax;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.core.domain.AccessTarget;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.jms.ConnectionFactory;
import javax.jms.QueueConnectionFactory;
import javax.jms.TopicConnectionFactory;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The jar this module builds (strata-jms-adapter's jar with jakarta.jms rewritten to javax.jms), read as the JVM and
 * reflective frameworks read it, with javax.jms 2.0.1 on the classpath and no jakarta.jms: it must be the provider the
 * tests load, every class must link and show its members, and every javax.jms member it uses must exist in 2.0 (JMS
 * 3.1 added some, such as three-argument exception constructors, which 2.0 applications' API lacks).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RewrittenJarIT {

    /** The jar the build wrote (failsafe's strata.it.jar); the module has no classes of its own. */
    private static final Path JAR = Path.of(System.getProperty("strata.it.jar"));

    /**
     * What the Eclipse Transformer may leave in jakarta.jms: nothing. (It does not rewrite a record's Record attribute,
     * so jms-adapter has no record with a component of a jakarta.jms type.)
     */
    private static final Set<String> LEFT_BY_THE_TRANSFORMER = Set.of();

    @Test
    void theProviderTheTestsLoadIsTheRewrittenJarAndImplementsJavaxJms() throws Exception {
        Class<?> factory = Class.forName("io.strata.jms.client.StrataConnectionFactory");

        assertThat(Path.of(factory.getProtectionDomain().getCodeSource().getLocation().toURI()).toRealPath())
                .isEqualTo(JAR.toRealPath());
        assertThat(List.of(ConnectionFactory.class, QueueConnectionFactory.class, TopicConnectionFactory.class))
                .allMatch(api -> api.isAssignableFrom(factory));
        assertThat(ConnectionFactory.class.getProtectionDomain().getCodeSource().getLocation().getPath())
                .endsWith("javax.jms-api-2.0.1.jar");
        assertThatThrownBy(() -> Class.forName("jakarta.jms.ConnectionFactory"))
                .isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void everyClassOfTheJarLinksAndShowsItsMembersWithoutJakartaJms() throws Exception {
        List<String> names = classNames();
        Set<String> failures = new TreeSet<>();
        for (String name : names) {
            try {
                showMembers(Class.forName(name, false, getClass().getClassLoader()));
            } catch (LinkageError | RuntimeException e) {
                failures.add(name + ": " + e);
            }
        }

        assertThat(names).as("the provider's classes").hasSizeGreaterThan(50)
                .contains("io.strata.jms.client.StrataSession", "io.strata.jms.jndi.StrataInitialContextFactory");
        assertThat(failures).isSubsetOf(LEFT_BY_THE_TRANSFORMER);
    }

    @Test
    void everyJavaxJmsMemberTheJarUsesExistsInJavaxJms20() throws Exception {
        List<String> missing = new ArrayList<>();
        int checked = 0;
        try (JarFile jar = new JarFile(JAR.toFile())) {
            // Only the jar's own classes: what its accesses name (owner, name, parameter types) is in its class files.
            JavaClasses classes = ArchConfiguration.withThreadLocalScope(configuration -> {
                configuration.setResolveMissingDependenciesFromClassPath(false);
                return new ClassFileImporter().importJar(jar);
            });
            for (JavaClass type : classes) {
                for (JavaAccess<?> access : type.getAccessesFromSelf()) {
                    AccessTarget target = access.getTarget();
                    if (target.getOwner().getPackageName().equals("javax.jms")) {
                        checked++;
                        if (!existsInTheClasspathApi(target)) {
                            missing.add(access.getDescription());
                        }
                    }
                }
            }
        }

        assertThat(checked).as("javax.jms members used by the provider").isGreaterThan(100);
        assertThat(missing).isEmpty();
    }

    /** Everything reflection can be asked about {@code type}: each answer loads the types it names. */
    private static void showMembers(Class<?> type) {
        type.getGenericSuperclass();
        type.getGenericInterfaces();
        bounds(type.getTypeParameters());
        type.getDeclaredClasses();
        type.getEnclosingMethod();
        type.getEnclosingConstructor();
        type.getAnnotations();
        for (Field field : type.getDeclaredFields()) {
            field.getGenericType();
        }
        for (Method method : type.getDeclaredMethods()) {
            method.getGenericReturnType();
            showSignature(method);
        }
        for (Constructor<?> constructor : type.getDeclaredConstructors()) {
            showSignature(constructor);
        }
        if (type.isRecord()) {
            for (RecordComponent component : type.getRecordComponents()) {
                component.getGenericType();
            }
        }
    }

    private static void showSignature(Executable executable) {
        executable.getGenericParameterTypes();
        executable.getGenericExceptionTypes();
        bounds(executable.getTypeParameters());
    }

    private static void bounds(TypeVariable<?>[] variables) {
        for (TypeVariable<?> variable : variables) {
            for (Type bound : variable.getBounds()) {
                bound.getTypeName();
            }
        }
    }

    /** Whether the javax.jms on the classpath (2.0.1) has the field, constructor or method {@code target}. */
    private static boolean existsInTheClasspathApi(AccessTarget target) throws ClassNotFoundException {
        Class<?> owner = Class.forName(target.getOwner().getName());
        if (target instanceof AccessTarget.FieldAccessTarget field) {
            return hierarchy(owner).stream().flatMap(type -> List.of(type.getDeclaredFields()).stream())
                    .anyMatch(candidate -> candidate.getName().equals(field.getName())
                            && candidate.getType().getName().equals(field.getRawType().getName()));
        }
        AccessTarget.CodeUnitAccessTarget codeUnit = (AccessTarget.CodeUnitAccessTarget) target;
        List<String> parameters = codeUnit.getRawParameterTypes().stream().map(JavaClass::getName).toList();
        if (codeUnit.getName().equals("<init>")) {
            return List.of(owner.getDeclaredConstructors()).stream()
                    .anyMatch(candidate -> parameterNames(candidate).equals(parameters));
        }
        return hierarchy(owner).stream().flatMap(type -> List.of(type.getDeclaredMethods()).stream())
                .anyMatch(candidate -> candidate.getName().equals(codeUnit.getName())
                        && parameterNames(candidate).equals(parameters)
                        && candidate.getReturnType().getName().equals(codeUnit.getRawReturnType().getName()));
    }

    private static List<String> parameterNames(Executable executable) {
        return List.of(executable.getParameterTypes()).stream().map(Class::getName).toList();
    }

    /** {@code type}, its superclasses and all its superinterfaces, and Object (whose methods interfaces have too). */
    private static Set<Class<?>> hierarchy(Class<?> type) {
        Set<Class<?>> all = new HashSet<>();
        Deque<Class<?>> pending = new ArrayDeque<>(List.of(type, Object.class));
        while (!pending.isEmpty()) {
            Class<?> next = pending.pop();
            if (all.add(next)) {
                if (next.getSuperclass() != null) {
                    pending.push(next.getSuperclass());
                }
                Collections.addAll(pending, next.getInterfaces());
            }
        }
        return all;
    }

    private static List<String> classNames() throws Exception {
        try (JarFile jar = new JarFile(JAR.toFile())) {
            return jar.stream().map(JarEntry::getName).filter(name -> name.endsWith(".class"))
                    .map(name -> name.substring(0, name.length() - ".class".length()).replace('/', '.'))
                    .sorted().toList();
        }
    }
}
