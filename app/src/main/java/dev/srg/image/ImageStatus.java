package dev.srg.image;

/** Where an image is (SPEC RT-1): being built, usable by tasks, or failed (its build log says why). */
public enum ImageStatus { BUILDING, AVAILABLE, FAILED }
