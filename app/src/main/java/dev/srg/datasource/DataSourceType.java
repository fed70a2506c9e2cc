package dev.srg.datasource;

/** What a data source connects to (SPEC DI-1). */
public enum DataSourceType { POSTGRESQL, MYSQL, CSV }
