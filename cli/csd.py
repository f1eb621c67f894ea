"""`csd` commands: create a local test CSD (certificate + encrypted key) for development and the simulator."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from shared.application.cfdi.setup import create_test_csd
from shared.domain.cfdi.rfc import rfc_problem

csd_app = typer.Typer(help="Certificados de sello digital (CSD) de prueba.", no_args_is_help=True)


@csd_app.callback()
def csd() -> None:
    """Certificados de sello digital (CSD) de prueba."""


@csd_app.command("create-test")
def create_test(
    rfc: Annotated[str, typer.Option("--rfc", help="RFC del emisor (12 o 13 caracteres).")],
    name: Annotated[str, typer.Option("--name", help="Nombre o razón social, sin régimen de capital.")],
    out: Annotated[Path, typer.Option("--out", help="Directorio de salida (fuera del repositorio).")],
    password: Annotated[
        str | None, typer.Option("--password", help="Contraseña de la llave; si falta se genera.")
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Vigencia en días.")] = 4 * 365,
) -> None:
    """Create <RFC>.cer, <RFC>.key (PKCS#8 DER cifrada) and <RFC>.password. Not issued by SAT: tests only."""
    rfc = rfc.strip().upper()
    if problem := rfc_problem(rfc=rfc):
        typer.echo(f"Advertencia: el RFC {rfc} no es válido ({problem.value}); se usa de todos modos.", err=True)
    files = create_test_csd(rfc=rfc, name=name, out_dir=out, password=password, days=days, now=dt.datetime.now(dt.UTC))
    typer.echo(f"certificate: {files.certificate_path}")
    typer.echo(f"key:         {files.key_path}")
    typer.echo(f"password:    {files.password_path}")
    typer.echo(f"number:      {files.certificate_number}  rfc: {files.rfc}  name: {files.legal_name}")
    typer.echo("Para usarlo como secretos: CSD_CERTIFICATE / CSD_PRIVATE_KEY = base64 de los archivos, CSD_PASSWORD.")


if __name__ == "__main__":
    csd_app()
