// Read by bench/export.py: the values of the named server settings (the benchmark server's heap and
// page cache). Parameters: $names.
SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value
