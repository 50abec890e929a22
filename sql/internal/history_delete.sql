DELETE FROM {history} WHERE version = {version}
