from django.db import models


class Item(models.Model):
    batch = models.IntegerField(db_index=True)
    number = models.IntegerField()

    def __str__(self):
        return f"item {self.batch}/{self.number}"


class Visit(models.Model):
    """One row per item processed: an item visited twice by a job shows as two rows."""

    job_pk = models.BigIntegerField(db_index=True)
    item = models.ForeignKey(Item, on_delete=models.CASCADE)
    worker = models.CharField(max_length=64)
    pid = models.IntegerField()
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"job {self.job_pk} visited {self.item_id} ({self.worker})"
