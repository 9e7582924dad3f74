from celery import shared_task

from crm.imports.runner import run_import


@shared_task(name="imports.import_uploaded_file", ignore_result=True)
def import_uploaded_file(job_id: int) -> None:
    run_import(job_id=job_id)
