"""Performance points (履职积分), derived from the records of the other apps."""
