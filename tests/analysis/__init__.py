"""Tests of permgate.analysis."""
