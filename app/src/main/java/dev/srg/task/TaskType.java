package dev.srg.task;

import dev.srg.admission.UsageType;

/** What a task runs, and so which usage type it counts against (ADM-1, RT-2). */
public enum TaskType {
    SHELL(UsageType.SCHEDULING),
    PYTHON(UsageType.SCHEDULING);

    private final UsageType usageType;

    TaskType(UsageType usageType) {
        this.usageType = usageType;
    }

    public UsageType usageType() {
        return usageType;
    }
}
