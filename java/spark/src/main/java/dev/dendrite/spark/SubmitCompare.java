package dev.dendrite.spark;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.SparkConf;

/**
 * The main class for {@code spark-submit}: {@code dendrite compare} with the master that spark-submit was given,
 * so that a comparison runs on a cluster without writing a program:
 * <pre>
 * spark-submit --master spark://host:7077 --jars dendrite-cli.jar --class dev.dendrite.spark.SubmitCompare \
 *     dendrite-spark.jar --vary activation=relu,selu,tanh --epochs 5 -o /shared/compare-out
 * </pre>
 * The arguments are those of {@code dendrite compare} (the CLI parses them, so there is one grammar, one set of
 * checks and one output), without {@code --spark}: this class adds {@code --spark} with spark-submit's
 * {@code spark.master}. The CLI is reached by name because dendrite-spark does not depend on it (the CLI finds
 * dendrite-spark by name too); {@code dendrite-cli.jar} goes in {@code --jars}.
 */
public final class SubmitCompare {
    static final String CLI = "dev.dendrite.cli.Main";

    private SubmitCompare() {
    }

    public static void main(String[] args) throws Exception {
        int code = run(new SparkConf().get("spark.master", ""), args);
        if (code != 0) {
            // spark-submit reports a driver that threw as failed; an exit code alone would be lost in client mode.
            throw new IllegalStateException("dendrite compare exited with code " + code + " (its message is above)");
        }
    }

    /** The CLI's {@code compare} with {@code --spark master} and {@code args}; its exit code. */
    static int run(String master, String[] args) throws Exception {
        if (master.isEmpty()) {
            throw new IllegalArgumentException("no spark.master: run this class with spark-submit --master URL "
                    + "(or -Dspark.master=URL), or use dendrite compare --spark URL");
        }
        for (String a : args) {
            if (a.equals("--spark") || a.startsWith("--spark=")) {
                throw new IllegalArgumentException("'" + a + "': the master is spark-submit's --master ("
                        + master + "); leave --spark out");
            }
        }
        Method execute;
        try {
            execute = Class.forName(CLI).getMethod("execute", String[].class);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new IllegalStateException(SubmitCompare.class.getSimpleName() + " runs dendrite compare, whose "
                    + "class " + CLI + " is not on the class path; add dendrite-cli.jar with spark-submit --jars", e);
        }
        List<String> cli = new ArrayList<>(List.of("compare", "--spark", master));
        cli.addAll(List.of(args));
        try {
            return (Integer) execute.invoke(null, (Object) cli.toArray(String[]::new));
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}
